"""How long the report form's proof of work takes in a browser: Debian's chromium runs the page's
own SHA-256 (static/js/proof-of-work.js) on challenges shaped like the server's (reports.pow:
signed, about 90 characters), counting from 0 until the digest has the required zero bits, as
the form does before it sends a report. The time is the page's own clock around each search.

    make bench-pow            # or: python bench/proof_of_work.py [--bits 16] [--challenges 40]

The number of hashes a search needs is geometric with mean 2^bits, so the median and the 90th
percentile over many random challenges are printed, not one run.
"""

import argparse
import secrets
import shutil
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The form the script looks for, then a search like the form's, timed inside the page.
PAGE = '<form class="report-form" data-pow="0"><input name="pow_challenge"><input name="pow_counter"></form>'
SEARCH = """([text, bits]) => {
  const start = performance.now();
  let counter = 0;
  while (Math.clz32(tremorSha256First32(text + ":" + counter)) < bits) counter++;
  return [performance.now() - start, counter + 1];
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bits", type=int, default=16, help="leading zero bits (default 16)")
    parser.add_argument("--challenges", type=int, default=40, help="searches timed (default 40)")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        print("bench-pow needs Debian's chromium (make browser)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    script = (ROOT / "static/js/proof-of-work.js").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content(PAGE)
        page.add_script_tag(content=script)
        page.evaluate(SEARCH, ["warm-up", 12])
        runs = []
        for _ in range(args.challenges):
            # A challenge the size of reports.pow's: signed JSON of a nonce and the bits.
            challenge = secrets.token_urlsafe(66)
            runs.append(page.evaluate(SEARCH, [challenge, args.bits]))
        browser.close()
    seconds = sorted(ms / 1000 for ms, _ in runs)
    hashes = sum(n for _, n in runs)
    rate = hashes / sum(seconds)
    p90 = seconds[int(0.9 * (len(seconds) - 1))]
    print(
        f"proof of work at {args.bits} bits in chromium: mean {statistics.mean(seconds):.2f} s,"
        f" median {statistics.median(seconds):.2f} s,"
        f" 90th percentile {p90:.2f} s over {len(seconds)} challenges"
        f" ({rate / 1000:.0f} thousand hashes a second; 2^{args.bits} = {2**args.bits} expected)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
