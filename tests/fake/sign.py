#!/usr/bin/python3
"""Signs crafted webhook deliveries for the tests.

  sign.py twilio TOKEN URL [name=value ...]   -> X-Twilio-Signature
  sign.py twilio256 KEY URL [name=value ...]  -> the same with HMAC-SHA256
                                                (a SharedKey's algorithm=HMAC_SHA256)
  sign.py telnyx SEED_HEX TIMESTAMP BODYFILE  -> telnyx-signature-ed25519
  sign.py hmac SECRET BODYFILE                -> sha256=<hex>
  sign.py fn SECRET BODYFILE [TS [NONCE]]     -> the three X-Gitdial-* headers of
                                                a remote function request, one a line
                                                (TS default now, NONCE default random)
  sign.py pubkey SEED_HEX                     -> base64 Ed25519 public key
  sign.py form OUTFILE [name=value ...]       writes the form-encoded body
"""
import base64
import hashlib
import hmac
import sys


def main(argv):
    kind = argv[1]
    if kind in ("twilio", "twilio256"):
        token, url, pairs = argv[2], argv[3], [a.split("=", 1) for a in argv[4:]]
        s = url
        for n in sorted(set(k for k, _ in pairs)):
            for v in sorted(set(v for k, v in pairs if k == n)):
                s += n + v
        mac = hmac.new(token.encode(), s.encode(),
                       hashlib.sha256 if kind == "twilio256" else hashlib.sha1).digest()
        print(base64.b64encode(mac).decode())
    elif kind == "telnyx":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(argv[2]))
        with open(argv[4], "rb") as f:
            body = f.read()
        print(base64.b64encode(key.sign(argv[3].encode() + b"|" + body)).decode())
    elif kind == "hmac":
        with open(argv[3], "rb") as f:
            body = f.read()
        print("sha256=" + hmac.new(argv[2].encode(), body, hashlib.sha256).hexdigest())
    elif kind == "fn":
        import os, time
        with open(argv[3], "rb") as f:
            body = f.read()
        ts = argv[4] if len(argv) > 4 else str(int(time.time()))
        nonce = argv[5] if len(argv) > 5 else os.urandom(16).hex()
        mac = hmac.new(argv[2].encode(), ts.encode() + b"." + nonce.encode() + b"." + body,
                       hashlib.sha256).hexdigest()
        print("X-Gitdial-Timestamp: " + ts)
        print("X-Gitdial-Nonce: " + nonce)
        print("X-Gitdial-Signature: sha256=" + mac)
    elif kind == "pubkey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives import serialization
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(argv[2]))
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        print(base64.b64encode(raw).decode())
    elif kind == "form":
        import urllib.parse
        with open(argv[2], "w") as f:
            f.write(urllib.parse.urlencode([tuple(a.split("=", 1)) for a in argv[3:]]))
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main(sys.argv)
