# @fails publishes-telemetry: seq counts from 0 (range(count) instead of range(1, count + 1))
"""Exercise 6, Python mutant.

Grade it with:  npm run grade -- ex6 --dir exercises/ex6-sensor-telemetry/solution-python --cmd "python3 main.py"
"""
import json
import os
import random
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

client = mqtt.Client(client_id=device_id, clean_session=True)
client.will_set(status_topic, "offline", qos=1, retain=True)
client.connect(url.hostname, url.port or 1883, keepalive=60)
client.loop_start()

temp = 18 + random.random() * 6


def measure():
    """A simulated sensor: a temperature in °C that drifts, a relative humidity in %."""
    global temp
    temp = min(50, max(-20, temp + (random.random() - 0.5)))
    return round(temp, 1), round(30 + random.random() * 40)


client.publish(status_topic, "online", qos=1, retain=True).wait_for_publish()
for seq in range(count):
    t, h = measure()
    reading = {"device": device_id, "temp": t, "hum": h, "seq": seq}
    client.publish(telemetry_topic, json.dumps(reading), qos=1).wait_for_publish()
    print(f"reading {seq}: {t} °C, {h} %", flush=True)
    if seq < count - 1:
        time.sleep(interval)

client.publish(status_topic, "offline", qos=1, retain=True).wait_for_publish()
client.disconnect()
client.loop_stop()
