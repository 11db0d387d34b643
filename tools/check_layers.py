#!/usr/bin/env python3
"""tools/check_layers.py - holds the code to ARCHITECTURE.md's include rules.

The layer of each libeqm module is read from the "Layers" table of
ARCHITECTURE.md (the rows "0 base" .. "3 engine", module names in
backquotes), so the page and the code cannot drift apart: a module that
is not in the table, or an include that reaches upward, fails the check.

Rules:
  - common/: a file may include eqm/<module>.h only of its own layer or
    below; the layer of a source file is that of its folder under
    common/src/ (base 0, contract/pg/kafka/figures/alerts 2, engine 3) and
    of a public header its module's. Nothing of services/ or tools/.
  - services/<name>/: libeqm headers and its own folder's, never another
    service's folder or the tools' library (services/catalog/ lists every
    service's alert families and may include them).
  - tools/: anything.
Prints one line per violation as path:line: message, and exits 1 if any.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_LAYER = {"base": 0, "contract": 2, "pg": 2, "kafka": 2, "figures": 2, "alerts": 2, "engine": 3}


def layers():
    text = open(os.path.join(ROOT, "ARCHITECTURE.md"), encoding="utf-8").read()
    table = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*([0-3])\s+\w+\s*\|([^|]*)\|([^|]*)\|", line)
        if not m:
            continue
        for name in re.findall(r"`([a-z_0-9]+)`", m.group(3)):
            table[name] = int(m.group(1))
    return table


def files():
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                          "--", "*.c", "*.h"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return [f for f in out.split("\n") if f and os.path.exists(os.path.join(ROOT, f))]


def main():
    table = layers()
    bad = []
    inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    for path in files():
        parts = path.split("/")
        own = None
        if parts[0] == "common":
            if parts[1] == "include":
                mod = os.path.splitext(parts[-1])[0]
                if mod not in table:
                    bad.append(f"{path}:1: module {mod} is not in ARCHITECTURE.md's layer table")
                    continue
                own = table[mod]
            elif parts[1] == "src" and len(parts) > 3:
                own = SRC_LAYER.get(parts[2])
                if own is None:
                    bad.append(f"{path}:1: folder common/src/{parts[2]} has no layer")
                    continue
        elif parts[0] != "services":
            continue
        for n, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
            m = inc.match(line)
            if not m:
                continue
            target = m.group(1)
            where = f"{path}:{n}"
            if target.startswith("eqm/tools/"):
                bad.append(f"{where}: includes {target}: the tools' library is for tools only")
            elif target.startswith("eqm/"):
                mod = os.path.splitext(target[4:])[0]
                if mod not in table:
                    bad.append(f"{where}: includes {target}, a module not in ARCHITECTURE.md")
                elif own is not None and table[mod] > own:
                    bad.append(f"{where}: includes {target} (layer {table[mod]}) from layer {own}")
            elif parts[0] == "common":
                local = os.path.join(ROOT, os.path.dirname(path), target)
                if not os.path.exists(local) and not os.path.exists(
                        os.path.join(ROOT, "common/src", target)):
                    bad.append(f"{where}: includes {target}, which is not libeqm's")
                elif "/" in target and target.split("/")[0] in SRC_LAYER and \
                        SRC_LAYER[target.split("/")[0]] > (own if own is not None else 3):
                    bad.append(f"{where}: includes {target} from a lower layer")
            elif parts[0] == "services":
                # A service's main() hands the engine the catalogue of every
                # service's alert measure families.
                if parts[-1] == "main.c" and target == "catalog.h":
                    continue
                if "/" in target and parts[1] != "catalog":
                    bad.append(f"{where}: includes {target}: a service includes only libeqm "
                               "and its own folder")
                elif not os.path.exists(os.path.join(ROOT, os.path.dirname(path), target)) and \
                        parts[1] != "catalog":
                    bad.append(f"{where}: includes {target}, not in {os.path.dirname(path)}/")
    for b in bad:
        print(b)
    if bad:
        print(f"check_layers: {len(bad)} include(s) against ARCHITECTURE.md", file=sys.stderr)
        return 1
    print(f"check_layers: {len(files())} files hold to ARCHITECTURE.md's layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
