"""The baseline for bench/ussd_hops.py: a bare Flask app doing two Redis round trips per request."""

import os

import redis
from flask import Flask, request

app = Flask(__name__)
client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.3)


@app.post("/webhooks/africastalking/ussd")
def ussd():
    """Load a session, save it back, answer CON: the least a USSD hop can do."""
    key = "bare:" + request.form.get("sessionId", "")
    client.get(key)
    client.set(key, request.form.get("text", ""), ex=300)
    return "CON Bare menu\n1. One\n2. Two", 200, {"Content-Type": "text/plain"}
