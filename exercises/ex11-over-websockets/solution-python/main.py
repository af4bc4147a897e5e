"""Exercise 11: over WebSockets, the device in Python with paho-mqtt (1.x API).

Grade it with:  npm run grade -- ex11 --dir exercises/ex11-over-websockets/solution-python --cmd "python3 main.py"
(mosquitto.conf is the same as the TypeScript solution's.)
"""
import os
import signal
import sys
import threading
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

url = urlparse(os.environ.get("MQTT_URL", "ws://localhost:8080/mqtt"))
ca_file = os.environ.get("CA_FILE", "ca.crt")
device_id = os.environ.get("DEVICE_ID", "sensor-0000")
status_topic = os.environ.get("STATUS_TOPIC", f"acme/site-1/{device_id}/status")

# paho speaks WebSockets when asked to: the transport, the path from the URL, and TLS for wss://.
client = mqtt.Client(client_id=device_id, clean_session=True, transport="websockets")
client.ws_set_options(path=url.path or "/mqtt")
if url.scheme == "wss":
    client.tls_set(ca_certs=ca_file)
client.will_set(status_topic, "offline", qos=1, retain=True)


def on_connect(client, userdata, flags, rc):
    """Runs after every (re)connection: the status topic must say online again."""
    print(f"{device_id} connected to {url.geturl()} (rc={rc})", flush=True)
    if rc == 0:
        client.publish(status_topic, "online", qos=1, retain=True)


acked = set()  # the message ids whose PUBACK has arrived
acked_changed = threading.Condition()


def on_publish(client, userdata, mid, *_):
    with acked_changed:
        acked.add(mid)
        acked_changed.notify_all()


client.on_connect = on_connect
client.on_publish = on_publish
stopping = threading.Event()
signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
signal.signal(signal.SIGINT, lambda signum, frame: stopping.set())

client.connect(url.hostname, url.port or (443 if url.scheme == "wss" else 80), keepalive=60)
client.loop_start()
stopping.wait()
print("going offline", flush=True)
# Not wait_for_publish(): it raises while the connection is down (a stop during a reconnection), although paho
# keeps the message and sends it once reconnected. Up to 5 s for the PUBACK; after that the will speaks for us.
info = client.publish(status_topic, "offline", qos=1, retain=True)
with acked_changed:
    acked_changed.wait_for(lambda: info.mid in acked, 5)
client.disconnect()
client.loop_stop()
sys.exit(0)
