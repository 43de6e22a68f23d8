"""Line and branch coverage per package of mockserver, from ``coverage json`` (``make coverage``)."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(path: str) -> int:
    files = json.loads(Path(path).read_text())["files"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for name, data in files.items():
        parts = Path(name).parts
        package = parts[parts.index("mockserver") + 1] if len(parts) > parts.index("mockserver") + 2 else "(top level)"
        summary = data["summary"]
        for i, key in enumerate(("covered_lines", "num_statements", "covered_branches", "num_branches")):
            totals[package][i] += summary[key]
    print("| package | lines | branches |\n| --- | --- | --- |")
    for package, (lines, statements, branches, all_branches) in sorted(totals.items()):
        print(
            f"| {package} | {100 * lines / max(statements, 1):.0f}% of {statements} | "
            f"{100 * branches / max(all_branches, 1):.0f}% of {all_branches} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
