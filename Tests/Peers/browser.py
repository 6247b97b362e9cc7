#!/usr/bin/env python3
"""A real browser for mqtt-discovery's pages: Debian's chromium, headless, through chromedriver
and selenium (none of it our code).

It opens URL and, every 50 ms, reads what the page shows from its DOM (not pixels), printing one
JSON object per line on standard output whenever that changes, so a test can wait for the state
it needs. SIGUSR1 saves a screenshot to --screenshot and prints {"event": "screenshot"}.

  agent URL [--screenshot FILE]
        the instances page: {"event": "rows", "rows": [{instance, device, state, reason,
        properties, links}], "counts": [...], "stream": "...", "brokers": N}
  monitor URL [--screenshot FILE]
        a monitor's page: {"event": "page", "device": ..., "connection": ..., "charts":
        {"topic field": points}, "latest": {topic: payload text}, "stream": "..."}

Both also report "images" (<img> elements in the page) and "injected" (whether a script from a
payload ran: the payloads set window.__xss), and "alert" if a dialog opened.
"""

import argparse
import json
import signal
import sys
import threading
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def emit(**event):
    sys.stdout.write(json.dumps(event, sort_keys=True) + "\n")
    sys.stdout.flush()


AGENT_STATE = """
const rows = [...document.querySelectorAll('#instances tr')].map((row) => ({
  instance: row.dataset.instance,
  device: row.cells[3].textContent,
  state: row.dataset.state,
  reason: (row.querySelector('.reason') || {}).textContent || '',
  properties: row.cells[4].textContent,
  links: [...row.cells[4].querySelectorAll('a')].map((a) => a.href),
}));
return {
  rows,
  counts: [...document.querySelectorAll('#counts li')].map((li) => li.textContent),
  stream: document.getElementById('stream').textContent,
  brokers: document.querySelectorAll('#brokers tr').length,
  images: document.images.length,
  injected: window.__xss === true,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  labels: [...document.querySelectorAll('#instances tr:first-child td')].map((td) => td.dataset.label || ''),
  headerShown: document.querySelector('thead').getBoundingClientRect().height > 2,
};
"""

MONITOR_STATE = """
const charts = {};
for (const figure of document.querySelectorAll('#charts figure')) {
  charts[figure.dataset.topic + ' ' + figure.dataset.field] = Number(figure.dataset.points || 0);
}
const latest = {};
for (const row of document.querySelectorAll('#latest tr')) latest[row.cells[0].textContent] = row.cells[1].textContent;
return {
  device: document.getElementById('device').textContent,
  connection: document.getElementById('connection').textContent,
  stream: document.getElementById('stream').textContent,
  charts,
  latest,
  images: document.images.length,
  injected: window.__xss === true,
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
};
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page", choices=["agent", "monitor"])
    parser.add_argument("url")
    parser.add_argument("--screenshot")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=700)
    arguments = parser.parse_args()

    # Before chromium starts (which takes seconds): a signal meanwhile is kept, not fatal.
    stop = threading.Event()
    shoot = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGUSR1, lambda *_: shoot.set())

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions", "--disable-background-networking",
                 f"--window-size={arguments.width},{arguments.height}"):
        options.add_argument(flag)
    # chromedriver from Debian, named outright: selenium must not try to download one.
    driver = webdriver.Chrome(options=options, service=Service(executable_path="/usr/bin/chromedriver"))
    try:
        # Below about 500 px chromium keeps its window wider than asked; the page is given the
        # width asked for as its viewport, as a phone would.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": arguments.width, "height": arguments.height, "deviceScaleFactor": 1, "mobile": False})
        driver.get(arguments.url)
        emit(event="opened", title=driver.title)
        script = AGENT_STATE if arguments.page == "agent" else MONITOR_STATE
        kind = "rows" if arguments.page == "agent" else "page"
        last = None
        while not stop.is_set():
            try:
                alert = driver.switch_to.alert
                emit(event="alert", text=alert.text)
                alert.dismiss()
            except NoAlertPresentException:
                pass
            state = driver.execute_script(script)
            if state != last:
                emit(event=kind, **state)
                last = state
            if shoot.is_set():
                shoot.clear()
                driver.save_screenshot(arguments.screenshot)
                emit(event="screenshot", path=arguments.screenshot)
            time.sleep(0.05)
    finally:
        driver.quit()
    emit(event="closed")


if __name__ == "__main__":
    main()
