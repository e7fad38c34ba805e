"""The HTML report in headless Chromium: it renders, the replay and plots draw, no console errors.

Driven over the Chrome DevTools Protocol (https://chromedevtools.github.io/devtools-protocol/):
a page target is attached with ``flatten`` sessions, Runtime and Log are enabled
before navigation, so every exception and console error of the page is caught.
Needs the Debian ``chromium`` package (``apt-get install -y chromium``); skipped
with that hint when the binary is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from simplatform.runner import RunSettings, load_index, run_suite

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

PROBE = """(() => {
  const inked = (id) => { const c = document.getElementById(id); if (!c || !c.width) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; };
  const slider = document.getElementById('r-time');
  slider.value = Math.floor(slider.max / 2); slider.dispatchEvent(new Event('input'));
  return JSON.stringify({ready: !!window.__reportReady, rows: document.querySelectorAll('#scenarios tbody tr').length,
    title: document.getElementById('d-title').textContent, label: document.getElementById('r-label').textContent,
    replay: inked('replay'), speed: inked('p-speed'), ttc: inked('p-ttc'), distance: inked('p-distance'),
    accel: inked('p-accel'), failedEvidence: document.querySelectorAll('#d-reqs .badge.fail').length});
})()"""


async def _drive(ws_url: str, url: str) -> tuple[dict, list[str]]:
    import websockets

    errors: list[str] = []
    async with websockets.connect(ws_url, max_size=None) as ws:
        ids = iter(range(1, 10 ** 6))

        async def call(method, params=None, session=None):
            mid = next(ids)
            msg = {"id": mid, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            await ws.send(json.dumps(msg))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == mid:
                    return reply.get("result", {})
                _note(reply, errors)

        target = (await call("Target.createTarget", {"url": "about:blank"}))["targetId"]
        session = (await call("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            await call(domain, session=session)
        await call("Page.navigate", {"url": url}, session)
        loop = asyncio.get_running_loop()
        end = loop.time() + 20
        while loop.time() < end:
            reply = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
            _note(reply, errors)
            if reply.get("method") == "Page.loadEventFired":
                break
        await asyncio.sleep(0.5)
        got = await call("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session)
        value = got.get("result", {}).get("value")
        await asyncio.sleep(0.2)
        return json.loads(value) if value else {"exception": got}, errors


def _note(msg: dict, errors: list[str]) -> None:
    method, p = msg.get("method"), msg.get("params", {})
    if method == "Runtime.exceptionThrown":
        errors.append(json.dumps(p["exceptionDetails"])[:500])
    elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
        errors.append(str(p.get("args"))[:500])
    elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
        errors.append(p["entry"].get("text", "")[:500])


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary: apt-get install -y chromium (Debian) to test "
                                             "the HTML report in a headless browser")
def test_report_renders_replay_and_plots_without_console_errors(small_suite, tmp_path):
    out = run_suite(load_index(small_suite).entries, RunSettings(executor="sequential", max_time=10, stack="none"),
                    tmp_path / "run", quiet=True)
    report = out.reports["html"]
    page = report.read_text()
    assert "<script src" not in page and "http://" not in page and "https://" not in page  # self-contained
    # chromium's singleton-socket directory goes to TMPDIR and stays there when the browser is killed: a
    # short directory of our own (a Unix socket path must fit 108 bytes; pytest's tmp_path may not), removed
    scratch = tempfile.mkdtemp(prefix="chr")
    proc = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                             "--disable-component-update", "--no-first-run", "--disable-sync",
                             f"--user-data-dir={tmp_path / 'profile'}", "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": scratch})
    try:
        ws_url = None
        for line in proc.stderr:
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                ws_url = m.group(1)
                break
        assert ws_url, "chromium did not open its DevTools endpoint"
        state, errors = asyncio.run(_drive(ws_url, report.resolve().as_uri()))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    assert errors == []
    assert state["ready"] and state["rows"] == 4
    assert state["title"].startswith("brake.000") and state["failedEvidence"] >= 1  # first failure is shown
    assert state["label"].startswith("t = ")
    for canvas in ("replay", "speed", "ttc", "distance", "accel"):
        assert state[canvas] > 500, f"{canvas} canvas is blank: {state}"
