"""The printable report (`reflexbot export --format html`) in a real browser: Debian's Chromium,
headless, renders the report of a store that a bot filled against Synapse (two cities, tagged
contributions, a digest, a lesson with an action) to a screenshot and to a PDF. Checked: the
page count (one page per section), that no text overflows its box at A4 width, that the PDF's
text holds the themes, cities and umlauts, and that hostile text stays text."""

import json
import re
import shutil
import subprocess

import pytest

from helpers import db_rows, ensure_alive, ping_and_wait, run_cli, wait_bot_notice, wait_for
from helpers import wait_bot_reaction

WAIT = 30
CHROMIUM = shutil.which("chromium")


def join_and_wait(mod, bot, room_id):
    mod.invite(room_id, bot.user_id)
    wait_for(lambda: ensure_alive(bot) or mod.membership(room_id, bot.user_id) == "join", WAIT,
             f"the bot to join {room_id}")
    ping_and_wait(mod, room_id, bot)


def chromium(*args, timeout=120):
    assert CHROMIUM, "chromium is missing: scripts/deps.sh installs Debian's chromium"
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                             "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                             "--font-render-hinting=none", *args],
                            capture_output=True, text=True, timeout=timeout,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


# Appended to a copy of the report (the report itself has no script): every element whose
# content is wider than its box, and the page's own width against the window's. A table cell
# whose content is wider spills over its neighbour even where overflow is visible (a header
# "Schlagwörter" written across "Stimmen").
OVERFLOW_PROBE = """
<script>
const bad = [];
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('svg') || el.tagName === 'SCRIPT' || el.tagName === 'PRE') continue;
  const cell = el.tagName === 'TH' || el.tagName === 'TD';
  if (el.scrollWidth > el.clientWidth + 1 && (cell || getComputedStyle(el).overflowX !== 'visible')
      || el.getBoundingClientRect().right > document.documentElement.clientWidth + 1) {
    bad.push(el.tagName + ': ' + el.textContent.slice(0, 60));
  }
}
const pre = document.createElement('pre');
pre.id = 'probe';
pre.textContent = JSON.stringify({bad, page: document.documentElement.scrollWidth,
                                  window: document.documentElement.clientWidth});
document.body.appendChild(pre);
</script>
"""


def test_html_report_prints_to_a4_in_chromium(make_bot, user, tmp_path):
    mod = user("moderation")
    anna, clara = user("anna"), user("clara")
    koeln = mod.create_room(name="Reflexion Köln", invite=[anna.user_id])
    muelheim = mod.create_room(name="Reflexion Mülheim", invite=[clara.user_id])
    anna.join(koeln)
    clara.join(muelheim)
    bot = make_bot(allowlist=[mod.user_id],
                   rooms=[{"room_id": koeln, "city": "Köln"},
                          {"room_id": muelheim, "city": "Mülheim an der Ruhr"}])
    for room in (koeln, muelheim):
        join_and_wait(mod, bot, room)

    posts = [
        (anna, koeln, "Die FFP2-Masken kamen viel zu spät, die Schutzausrüstung war knapp #problem"),
        (clara, muelheim, "Masken und Schutzausrüstung fehlten, die Beschaffung lief zu spät #problem"),
        (anna, koeln, "Das Bürgertelefon war völlig überlastet, Überstunden ohne Ende #problem"),
        (clara, muelheim, "Unser Bürgertelefon brach unter den Anrufen zusammen #problem"),
        (anna, koeln, "Die Kollegialität im Krisenstab hat uns getragen, großartig #erfolg"),
        (clara, muelheim, "Kontaktnachverfolgungsdokumentationspflichtverordnungsumsetzung war "
                          "kaum zu schaffen #problem"),
        (clara, muelheim, "<script>alert('x')</script> & <b>fett</b> gehört nicht ins Layout #idee"),
        (anna, koeln, "Wir sollten Schutzausrüstung künftig früher bevorraten #idee"),
    ]
    for client, room, text in posts:
        event_id = client.send_text(room, text)
        wait_bot_reaction(client, room, bot, event_id)

    asked = mod.send_text(koeln, "!digest")
    wait_bot_notice(mod, koeln, bot, lambda b: b.startswith("Digest"), "the digest", after=asked,
                    timeout=WAIT)
    lesson = mod.send_text(koeln, "!lehre 1")
    wait_bot_notice(mod, koeln, bot, lambda b: "L" in b, "the lesson's confirmation",
                    after=lesson, timeout=WAIT)
    lesson_id = db_rows(bot, "SELECT MAX(id) FROM lessons")[0][0]
    assert lesson_id, "no lesson was made"
    action = mod.send_text(koeln, f"!maßnahme L{lesson_id} 15.12.2030 Gesundheitsamt: "
                                  "Lager für Schutzausrüstung anlegen")
    wait_bot_notice(mod, koeln, bot, lambda b: f"L{lesson_id}" in b, "the action's answer",
                    after=action, timeout=WAIT)

    report = tmp_path / "bericht.html"
    result = run_cli(bot, "export", "--format", "html", "--output", str(report))
    assert result.returncode == 0, result.stderr
    page = report.read_text()
    exported = json.loads(run_cli(bot, "export", "--format", "json").stdout)

    # Self-contained, German, nothing active, hostile text as text.
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"de\">"), page[:80]
    assert "<script" not in page and "javascript:" not in page
    assert not re.search(r"\b(src|href)\s*=", page), "the report refers to something outside"
    assert not re.search(r"\son[a-z]+\s*=", page), "an event handler attribute"
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<svg" in page and "Mülheim an der Ruhr" in page
    for person in (mod, anna, clara):
        assert person.user_id not in page and person.localpart not in page

    # Laid out at A4 width (210 mm at 96 dpi): nothing wider than its box.
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", OVERFLOW_PROBE + "</body>"))
    dom = chromium("--window-size=794,1123", "--virtual-time-budget=5000", "--dump-dom",
                   probe.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    figures = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert figures["bad"] == [], figures
    assert figures["page"] <= figures["window"], figures

    # A screenshot (for people to look at; kept beside the test's files) and the PDF.
    shot = tmp_path / "bericht.png"
    chromium("--window-size=794,1123", f"--screenshot={shot}", report.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    pdf = tmp_path / "bericht.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert re.search(r"^Page size:.*\(A4\)", info, re.M), info
    # Overview and figures, themes, lessons, all groups, contributions: one page each here.
    assert pages == 5, info

    # -raw: the text in the order Chromium drew it, so a table cell's lines stay together.
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"-\n\s*", "", text)      # words hyphenated at a line's end
    flat = re.sub(r"\s+", " ", flat)
    for needle in ("Köln", "Mülheim an der Ruhr", "Bürgertelefon", "Überstunden",
                   "Lager für Schutzausrüstung anlegen", "Gesundheitsamt", "<script>alert('x')</script>", f"L{lesson_id}"):
        assert needle in flat, f"{needle!r} not in the PDF's text"
    titles = [group["title"] for group in exported["groups"]]
    assert titles, exported
    # A single contribution's title is its words; in the groups' table a long word breaks
    # anywhere without a hyphen, so the titles are looked for without white space.
    dense = re.sub(r"\s+", "", flat)
    for title in titles:
        assert re.sub(r"\s+", "", title) in dense, f"the theme {title!r} is not in the PDF"
