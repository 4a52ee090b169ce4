#!/usr/bin/env python3
"""Function order for the kiosk `play` (docs/kiosk.md, "Memory").

The kernel maps a program's code in 64 KiB windows around each page it runs (fault-around),
so a function run once keeps its neighbours resident too. Placing the functions `play`
actually runs next to each other (the linker's --symbol-ordering-file) leaves the rest of
the binary unmapped.

  kiosk_order.py hot CALLGRIND_OUT... --binary BIN > scripts/kiosk-hot-functions.txt
      the functions BIN ran in the callgrind profiles, by name without hashes;
  kiosk_order.py order BIN scripts/kiosk-hot-functions.txt > FILE
      the symbols of BIN (an unstripped build) those names are, for --symbol-ordering-file.

Both scripts build with v0 symbol mangling, whose names spell out a generic function's type
arguments, so that a name picks the instances that ran and not every instance of the same
generic function. Names are kept without their hashes (`[0123…]` crate disambiguators of
v0, `::h0123…` of legacy mangling), so one list fits any build of nearly the same code; what
no longer matches is left in the binary's order.
"""

import re
import subprocess
import sys

HASHES = (re.compile(r"::h[0-9a-f]{16}$"), re.compile(r"\[[0-9a-f]+\]"))


def plain(name):
    """A demangled name without its hashes."""
    for h in HASHES:
        name = h.sub("", name)
    return name.strip()


def text_symbols(binary):
    """(mangled, demangled) for every function BIN defines, in the file's symbol order."""

    def names(demangle):
        args = ["nm", "-p", "--defined-only"] + (["-C"] if demangle else []) + [binary]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        rows = []
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTwW":
                rows.append(parts[2])
        return rows

    mangled, demangled = names(False), names(True)
    if len(mangled) != len(demangled):
        sys.exit("nm listed the symbols differently with and without -C")
    return list(zip(mangled, demangled))


def callgrind_functions(path, binary):
    """Functions of BIN that ran in one callgrind profile, in the order first seen."""
    objects, functions, seen = {}, {}, []
    current = called = None
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"(c?)(ob|fn)=\((\d+)\)(?: (.*))?$", line)
        if not m:
            continue
        is_call, kind, key, name = m.groups()
        table = objects if kind == "ob" else functions
        if name:
            table[key] = name
        if kind == "ob":
            if is_call:
                called = key
            else:
                current = key
            continue
        owner = (called or current) if is_call else current
        called = None
        if objects.get(owner, "").endswith(binary):
            seen.append(functions[key])
    return seen


def hot(profiles, binary):
    """Every function any profile ran, grouped so that each run's functions lie together.

    The first profile's functions come first, and among them those the second profile also
    ran, and so on: a run like the first profile's touches one block, and every other profile's
    functions lie in a few blocks. Within a group, the order the profiles first name them in.
    """
    known = {}
    for _, demangled in text_symbols(binary):
        known.setdefault(demangled, plain(demangled))
    runs = []
    first_seen = {}
    for profile in profiles:
        ran = set()
        for name in callgrind_functions(profile, binary.rsplit("/", 1)[-1]):
            p = known.get(name)
            if p:
                ran.add(p)
                first_seen.setdefault(p, len(first_seen))
        runs.append(ran)
    out = sorted(first_seen, key=lambda p: ([p not in r for r in runs], first_seen[p]))
    print("# The functions the kiosk `play` runs, without hashes: scripts/kiosk-hot-functions.sh")
    print("# made this list and scripts/kiosk-build.sh places them first in the binary, those")
    print("# of a paced play to the null sink first.")
    for p in out:
        print(p)


def order(binary, hot_list):
    rank = {}
    for line in open(hot_list, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            rank.setdefault(line, len(rank))
    symbols = text_symbols(binary)
    if not symbols:
        sys.exit(f"{binary} has no symbols: build it unstripped (CARGO_PROFILE_KIOSK_STRIP=false)")
    if not any(m.startswith("_R") for m, _ in symbols):
        print(
            f"kiosk_order: {binary} has no v0 symbol names (was -C symbol-mangling-version=v0 "
            "dropped, e.g. by CARGO_ENCODED_RUSTFLAGS?): each name will pick every generic copy",
            file=sys.stderr,
        )
    chosen = [(rank[plain(d)], m) for m, d in symbols if plain(d) in rank]
    for _, m in sorted(chosen, key=lambda x: x[0]):
        print(m)
    print(f"{len(chosen)} symbols for {len(rank)} listed functions", file=sys.stderr)


def main(argv):
    if len(argv) >= 4 and argv[1] == "hot" and "--binary" in argv:
        i = argv.index("--binary")
        hot(argv[2:i] + argv[i + 2 :], argv[i + 1])
    elif len(argv) == 4 and argv[1] == "order":
        order(argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
