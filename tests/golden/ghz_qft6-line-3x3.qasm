OPENQASM 3.0;
include "stdgates.inc";
gate r(p0, p1) _gate_q_0 {
  U(p0, -pi/2 + p1, pi/2 - p1) _gate_q_0;
}
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
gate epr _gate_q_0, _gate_q_1 {
  h _gate_q_0;
  cx _gate_q_0, _gate_q_1;
}
bit[2] q0_m;
bit[2] q1_m;
bit[2] q2_m;
qubit[5] q0;
qubit[5] q1;
qubit[5] q2;
r(pi/2, pi/2) q0[0];
r(pi, 0) q0[0];
r(pi/2, pi/2) q0[1];
r(pi, 0) q0[1];
rzz(pi/2) q0[0], q0[1];
r(-pi/2, 0) q0[0];
r(pi, pi/4) q0[0];
r(-pi/2, 0) q0[1];
r(pi, pi/4) q0[1];
r(pi/2, pi/2) q0[2];
r(pi, 0) q0[2];
rzz(pi/2) q0[1], q0[2];
rz(-pi/2) q0[1];
rzz(-pi/4) q0[1], q0[0];
rz(pi/4) q0[0];
r(-pi/2, -3*pi/4) q0[1];
r(pi, -pi/8) q0[1];
r(-pi/2, 0) q0[2];
r(pi, pi/4) q0[2];
r(pi/2, pi/2) q1[0];
r(pi, 0) q1[0];
r(pi/2, pi/2) q1[1];
r(pi, 0) q1[1];
r(pi/2, pi/2) q1[2];
r(pi, 0) q1[2];
epr q0[3], q1[3];
r(pi/2, pi/2) q0[3];
r(pi, 0) q0[3];
rzz(pi/2) q0[2], q0[3];
rz(-pi/2) q0[2];
r(-pi/2, 0) q0[3];
r(pi, pi/4) q0[3];
q0_m[0] = measure q0[3];
reset q0[3];
if (q0_m[0]) {
  r(pi, 0) q1[3];
}
rzz(pi/2) q1[3], q1[1];
r(-pi/2, 0) q1[1];
r(pi, pi/4) q1[1];
rzz(pi/2) q1[1], q1[0];
r(-pi/2, 0) q1[0];
r(pi, pi/4) q1[0];
rzz(pi/2) q1[0], q1[2];
rz(-pi/2) q1[0];
rz(-pi/2) q1[1];
r(-pi/2, 0) q1[2];
r(pi, pi/4) q1[2];
r(-pi/2, 0) q1[3];
r(pi, pi/4) q1[3];
q1_m[0] = measure q1[3];
if (q1_m[0]) {
  rz(pi) q0[2];
}
rzz(-pi/8) q0[2], q0[0];
rz(pi/8) q0[0];
rz(pi/8) q0[2];
rzz(-pi/4) q0[2], q0[1];
rz(pi/4) q0[1];
rz(pi/4) q0[2];
reset q1[3];
epr q0[3], q1[3];
r(pi/2, pi/2) q0[3];
r(pi, 0) q0[3];
rzz(pi/2) q0[0], q0[3];
rz(-pi/2) q0[0];
r(-pi/2, 0) q0[3];
r(pi, pi/4) q0[3];
q0_m[0] = measure q0[3];
reset q0[3];
if (q0_m[0]) {
  r(pi, 0) q1[3];
}
rzz(-pi/16) q1[1], q1[3];
rz(pi/16) q1[1];
r(pi/2, 0) q1[1];
rz(pi/16) q1[3];
rzz(-pi/32) q1[0], q1[3];
rz(pi/32) q1[0];
rz(pi/32) q1[3];
rzz(-pi/64) q1[2], q1[3];
rz(pi/64) q1[2];
rzz(0.3) q1[0], q1[2];
r(-pi/2, -33*pi/64) q1[3];
r(pi, -0.024543692606170175) q1[3];
q1_m[0] = measure q1[3];
if (q1_m[0]) {
  rz(pi) q0[0];
}
reset q1[3];
