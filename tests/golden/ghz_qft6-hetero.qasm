OPENQASM 3.0;
include "stdgates.inc";
gate r(p0, p1) _gate_q_0 {
  U(p0, -pi/2 + p1, pi/2 - p1) _gate_q_0;
}
gate epr _gate_q_0, _gate_q_1 {
  h _gate_q_0;
  cx _gate_q_0, _gate_q_1;
}
gate rzz(p0) _gate_q_0, _gate_q_1 {
  cx _gate_q_0, _gate_q_1;
  rz(p0) _gate_q_1;
  cx _gate_q_0, _gate_q_1;
}
bit[2] ion_m;
bit[2] sc_m;
bit[2] atoms_m;
bit[4] hub_m;
qubit[5] ion;
qubit[5] sc;
qubit[4] atoms;
qubit[4] hub;
r(pi/2, pi/2) ion[0];
r(pi, 0) ion[0];
r(pi/2, pi/2) ion[1];
r(pi, 0) ion[1];
r(pi/2, pi/2) ion[2];
r(pi, 0) ion[2];
rz(pi/2) sc[0];
sx sc[0];
rz(pi/2) sc[0];
rz(pi/2) sc[1];
sx sc[1];
rz(pi/2) sc[1];
rz(pi/2) sc[2];
sx sc[2];
rz(pi/2) sc[2];
cz sc[1], sc[2];
rz(-pi) sc[1];
sx sc[1];
rz(pi/2) sc[1];
rz(-pi) sc[2];
sx sc[2];
rz(pi/2) sc[2];
cz sc[2], sc[1];
sx sc[1];
sx sc[2];
cz sc[2], sc[1];
sx sc[1];
sx sc[2];
cz sc[2], sc[1];
cz sc[1], sc[0];
rz(-pi) sc[0];
sx sc[0];
rz(pi/2) sc[0];
rz(pi/4) sc[1];
rz(pi/2) sc[2];
sx sc[2];
rz(pi/2) sc[2];
cz sc[1], sc[2];
rz(-pi/2) sc[2];
sx sc[2];
rz(-3*pi/4) sc[2];
sx sc[2];
rz(-pi/2) sc[2];
cz sc[1], sc[2];
rz(-pi) sc[1];
sx sc[1];
rz(pi/2) sc[1];
cz sc[0], sc[1];
sx sc[0];
sx sc[1];
cz sc[0], sc[1];
sx sc[0];
sx sc[1];
cz sc[0], sc[1];
rz(pi/2) sc[0];
sx sc[0];
rz(pi/2) sc[0];
sx sc[1];
rz(pi/2) sc[2];
sx sc[2];
rz(3*pi/4) sc[2];
sx sc[2];
cz sc[1], sc[2];
sx sc[1];
sx sc[2];
cz sc[1], sc[2];
sx sc[1];
sx sc[2];
cz sc[1], sc[2];
rz(pi/2) sc[1];
sx sc[1];
rz(pi/2) sc[1];
epr sc[3], hub[0];
rz(pi/2) sc[3];
sx sc[3];
rz(pi/2) sc[3];
cz sc[2], sc[3];
rz(pi/2) sc[3];
sx sc[3];
rz(pi/2) sc[3];
epr hub[1], ion[3];
ry(-pi/2) hub[1];
rz(-pi) hub[1];
cz hub[0], hub[1];
ry(-pi/2) hub[0];
rz(-pi) hub[0];
ry(-pi/2) hub[1];
rz(-pi) hub[1];
sc_m[0] = measure sc[3];
reset sc[3];
hub_m[0] = measure hub[0];
reset hub[0];
epr sc[3], hub[0];
rz(pi/2) sc[3];
sx sc[3];
rz(pi/2) sc[3];
hub_m[1] = measure hub[1];
if (hub_m[1]) {
  r(pi, 0) ion[3];
}
if (hub_m[0]) {
  rz(pi) ion[3];
}
if (sc_m[0]) {
  r(pi, 0) ion[3];
}
rzz(pi/2) ion[3], ion[1];
r(-pi/2, 0) ion[1];
r(pi, pi/4) ion[1];
rzz(pi/2) ion[1], ion[0];
r(-pi/2, 0) ion[0];
r(pi, pi/4) ion[0];
rzz(pi/2) ion[0], ion[2];
rz(-pi/2) ion[0];
rz(-pi/2) ion[1];
r(-pi/2, 0) ion[2];
r(pi, pi/4) ion[2];
r(-pi/2, 0) ion[3];
r(pi, pi/4) ion[3];
ion_m[0] = measure ion[3];
reset ion[3];
if (ion_m[0]) {
  rz(pi) sc[2];
}
rz(pi/8) sc[2];
cz sc[2], sc[1];
rz(-pi/2) sc[1];
sx sc[1];
rz(-7*pi/8) sc[1];
sx sc[1];
rz(-pi/2) sc[1];
cz sc[2], sc[1];
rz(pi/2) sc[1];
sx sc[1];
rz(5*pi/8) sc[1];
sx sc[1];
sx sc[2];
cz sc[1], sc[2];
sx sc[1];
sx sc[2];
cz sc[1], sc[2];
sx sc[1];
sx sc[2];
cz sc[1], sc[2];
rz(pi/4) sc[1];
cz sc[1], sc[0];
rz(-pi/2) sc[0];
sx sc[0];
rz(-3*pi/4) sc[0];
sx sc[0];
rz(-pi/2) sc[0];
cz sc[1], sc[0];
rz(pi/2) sc[0];
sx sc[0];
rz(3*pi/4) sc[0];
cz sc[2], sc[3];
rz(pi/2) sc[3];
sx sc[3];
rz(pi/2) sc[3];
sc_m[0] = measure sc[3];
reset sc[3];
reset hub[1];
epr hub[1], ion[3];
ry(-pi/2) hub[1];
rz(-pi) hub[1];
cz hub[0], hub[1];
ry(-pi/2) hub[0];
rz(-pi) hub[0];
hub_m[0] = measure hub[0];
reset hub[0];
ry(-pi/2) hub[1];
rz(-pi) hub[1];
hub_m[1] = measure hub[1];
if (hub_m[1]) {
  r(pi, 0) ion[3];
}
if (hub_m[0]) {
  rz(pi) ion[3];
}
if (sc_m[0]) {
  r(pi, 0) ion[3];
}
rzz(-pi/16) ion[1], ion[3];
rz(pi/16) ion[1];
r(pi/2, 0) ion[1];
rz(pi/16) ion[3];
rzz(-pi/32) ion[0], ion[3];
rz(pi/32) ion[0];
rz(pi/32) ion[3];
rzz(-pi/64) ion[2], ion[3];
rz(pi/64) ion[2];
rzz(0.3) ion[0], ion[2];
r(-pi/2, -33*pi/64) ion[3];
r(pi, -0.024543692606170175) ion[3];
ion_m[0] = measure ion[3];
reset ion[3];
if (ion_m[0]) {
  rz(pi) sc[2];
}
reset hub[1];
