"""qmosaic"""
