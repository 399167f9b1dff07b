"""An upload burst beside parley-bench (docs/performance.md, media): four
clients upload a 12-megapixel JPEG in a loop for SECONDS.

    python3 scripts/media-upload-burst.py URL TOKEN SECONDS   # needs: pip install pillow requests
"""
import io, sys, threading, time, requests
from PIL import Image
url, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
img = Image.blend(Image.effect_noise((4000, 3000), 60).convert("RGB"), Image.linear_gradient("L").resize((4000, 3000)).convert("RGB"), 0.5)
buf = io.BytesIO(); img.save(buf, "JPEG", quality=92); jpeg = buf.getvalue()
open("burst.ready", "w").write("1")
done, times = [], []
end = time.monotonic() + seconds
def run():
    while time.monotonic() < end:
        t = time.monotonic()
        r = requests.post(url + "/api/v2/media", headers={"Authorization": f"Bearer {token}"}, files={"file": ("p.jpg", jpeg, "image/jpeg")}, timeout=120)
        times.append(time.monotonic() - t); done.append(r.status_code)
ts = [threading.Thread(target=run) for _ in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print("uploads", len(done), "statuses", sorted(set(done)), "mean %.1fs max %.1fs" % (sum(times) / max(len(times), 1), max(times or [0])))
