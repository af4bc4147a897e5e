"""Exercise 6: sensor telemetry, the same sensor in Python with paho-mqtt (1.x API; 2.x runs it too).

Grade it with:  npm run grade -- ex6 --dir exercises/ex6-sensor-telemetry/solution-python --cmd "python3 main.py"
"""
import json
import os
import random
import threading
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

url = urlparse(os.environ.get("MQTT_URL", "mqtt://localhost:1883"))
org = os.environ.get("ORG", "acme")
site = os.environ.get("SITE", "plant-1")
device_id = os.environ.get("DEVICE_ID", "sensor-0000")
count = int(os.environ.get("COUNT", "5"))
interval = int(os.environ.get("INTERVAL_MS", "1000")) / 1000

status_topic = f"{org}/{site}/{device_id}/status"
telemetry_topic = f"{org}/{site}/{device_id}/telemetry"

acked = set()  # the message ids whose PUBACK has arrived
acked_changed = threading.Condition()


def on_publish(client, userdata, mid, *_):  # paho 1.x: (client, userdata, mid); 2.x adds reason code, properties
    with acked_changed:
        acked.add(mid)
        acked_changed.notify_all()


def publish_acknowledged(topic, payload, retain=False):
    """Publishes at QoS 1 and returns once its PUBACK has arrived, after a reconnection if need be.

    Not wait_for_publish(): while the connection is down, publish() returns MQTT_ERR_NO_CONN and
    wait_for_publish() raises RuntimeError. paho keeps the message all the same, and sends it again once
    loop_start()'s thread has reconnected.
    """
    info = client.publish(topic, payload, qos=1, retain=retain)
    with acked_changed:
        acked_changed.wait_for(lambda: info.mid in acked)
        acked.discard(info.mid)


connections = 0


def on_connect(client, userdata, flags, rc, *_):
    # After a reconnection the will may have said "offline" in between: say "online" again. (The first
    # "online" is published below, acknowledged, before the first reading.)
    global connections
    connections += 1
    if rc == 0 and connections > 1:
        client.publish(status_topic, "online", qos=1, retain=True)


client = mqtt.Client(client_id=device_id, clean_session=True)
client.will_set(status_topic, "offline", qos=1, retain=True)
client.on_publish = on_publish
client.on_connect = on_connect
client.connect(url.hostname, url.port or 1883, keepalive=60)
client.loop_start()

temp = 18 + random.random() * 6


def measure():
    """A simulated sensor: a temperature in °C that drifts, a relative humidity in %."""
    global temp
    temp = min(50, max(-20, temp + (random.random() - 0.5)))
    return round(temp, 1), round(30 + random.random() * 40)


publish_acknowledged(status_topic, "online", retain=True)
for seq in range(1, count + 1):
    t, h = measure()
    reading = {"device": device_id, "temp": t, "hum": h, "seq": seq}
    publish_acknowledged(telemetry_topic, json.dumps(reading))
    print(f"reading {seq}: {t} °C, {h} %", flush=True)
    if seq < count:
        time.sleep(interval)

publish_acknowledged(status_topic, "offline", retain=True)
client.disconnect()
client.loop_stop()
