"""Media processing figures: starts `parley serve` (the binary given), uploads
a 12-megapixel JPEG three times, then a 50,000x50,000 PNG bomb and a 40 MB
body, printing each answer's time and the server's peak RSS (VmHWM).

    python3 scripts/media-figures.py target/debug/parley   # needs: pip install pillow requests

Not a test and not in CI: figures for docs/performance.md (parley-bench has
no upload scenario yet).
"""
import io, json, os, random, subprocess, sys, time, socket, tempfile
import requests
from PIL import Image

binary = sys.argv[1]
port = 0
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
data = tempfile.mkdtemp()
env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
env["PARLEY_RATE_LIMITS__ENABLED"] = "false"
proc = subprocess.Popen([binary, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}"
for _ in range(300):
    try:
        requests.get(url + "/api/v1/instance", timeout=1); break
    except Exception: time.sleep(0.1)
def hwm():
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith("VmHWM"): return line.split()[1] + " kB"
def rss():
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith("VmRSS"): return line.split()[1] + " kB"
app = requests.post(url + "/api/v1/apps", json={"client_name": "m", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}).json()
tok = requests.post(url + "/oauth/token", json={"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read write"}).json()["access_token"]
u = requests.post(url + "/api/v1/accounts", headers={"Authorization": f"Bearer {tok}"}, json={"username": "m", "email": "m@example.org", "password": "correct horse battery", "agreement": True}).json()["access_token"]
H = {"Authorization": f"Bearer {u}"}
print("baseline", "rss", rss(), "hwm", hwm())
# A 12-megapixel photo-like JPEG (noise over gradients: hard to compress, like a photo).
random.seed(1)
img = Image.effect_noise((4000, 3000), 60).convert("RGB")
grad = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
img = Image.blend(img, grad, 0.5)
buf = io.BytesIO(); img.save(buf, "JPEG", quality=92); jpeg = buf.getvalue()
print("12MP JPEG bytes", len(jpeg))
for i in range(3):
    t = time.monotonic()
    r = requests.post(url + "/api/v2/media", headers=H, files={"file": ("p.jpg", jpeg, "image/jpeg")})
    print("12MP upload", i, r.status_code, f"{time.monotonic() - t:.2f}s", r.json()["meta"]["original"]["size"], "hwm", hwm())
# Hostile: the PNG bomb.
import struct, zlib
def chunk(k, d):
    b = k + d; return struct.pack(">I", len(d)) + b + struct.pack(">I", zlib.crc32(b) & 0xffffffff)
bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50000, 50000, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\0" * 100000)) + chunk(b"IEND", b"")
t = time.monotonic()
r = requests.post(url + "/api/v2/media", headers=H, files={"file": ("b.png", bomb, "image/png")})
print("bomb", len(bomb), "bytes", r.status_code, f"{time.monotonic() - t:.3f}s", r.text[:100], "hwm", hwm())
t = time.monotonic()
r = requests.post(url + "/api/v2/media", headers=H, files={"file": ("b.png", b"\0" * (40 * 1024 * 1024), "image/png")})
print("40MB upload", r.status_code, f"{time.monotonic() - t:.3f}s", "hwm", hwm())
proc.terminate(); proc.wait()
