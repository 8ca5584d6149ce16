"""A throw-away PKI for the Client VPN / ACM tests, made with the openssl command line:
a CA, a server certificate (CN server, serverAuth), a client certificate (CN client1,
clientAuth), and a CRL revoking the client. Files land in a temp directory.

    pki = Pki(tmpdir)        # generates everything
    pki.ca_crt, pki.server_crt, pki.server_key, pki.client_crt, pki.crl   (paths)
"""
import os
import subprocess


def _run(args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)


CA_CNF = """
[ ca ]
default_ca = myca
[ myca ]
dir = {d}
database = {d}/index.txt
serial = {d}/serial
crlnumber = {d}/crlnumber
default_md = sha256
default_crl_days = 30
private_key = {d}/ca.key
certificate = {d}/ca.crt
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
[ server ]
basicConstraints = CA:false
keyUsage = digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.gatehouse.internal
[ client ]
basicConstraints = CA:false
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
"""


class Pki:
    def __init__(self, d, name="ca"):
        self.dir = d
        os.makedirs(d, exist_ok=True)
        cnf = os.path.join(d, "ca.cnf")
        with open(cnf, "w") as f:
            f.write(CA_CNF.format(d=d))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "crlnumber"), "w") as f:
            f.write("01\n")
        self.cnf = cnf
        self.ca_key = os.path.join(d, "ca.key")
        self.ca_crt = os.path.join(d, "ca.crt")
        _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
              "-subj", "/CN=Gatehouse Test %s" % name, "-keyout", self.ca_key,
              "-out", self.ca_crt, "-config", cnf, "-extensions", "v3_ca"], d)
        self.server_key, self.server_crt = self._leaf("server", "server")
        self.client_key, self.client_crt = self._leaf("client1", "client")
        self.other_key, _ = self._leaf("other", "client")  # a key that matches nothing here
        self.crl = os.path.join(d, "crl.pem")
        _run(["openssl", "ca", "-config", cnf, "-revoke", self.client_crt], d)
        _run(["openssl", "ca", "-config", cnf, "-gencrl", "-out", self.crl], d)

    def _leaf(self, cn, ext):
        key = os.path.join(self.dir, cn + ".key")
        csr = os.path.join(self.dir, cn + ".csr")
        crt = os.path.join(self.dir, cn + ".crt")
        _run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
              "-keyout", key, "-out", csr, "-config", self.cnf], self.dir)
        _run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key,
              "-set_serial", str(abs(hash(cn)) % 100000 + 2), "-days", "30", "-out", crt,
              "-extfile", self.cnf, "-extensions", ext], self.dir)
        return key, crt

    @staticmethod
    def read(path):
        with open(path) as f:
            return f.read()
