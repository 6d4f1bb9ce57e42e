#!/usr/bin/python3
"""Lint the synthesizable C++ of an HLS project written by `ternc --target=hls`.

    hls_lint.py PROJECT_DIR        (checks PROJECT_DIR/src/*.cpp and *.h)
    hls_lint.py FILE.cpp ...       (checks the files given)

What Vitis HLS cannot synthesize, or what would break the design's promises:
  * dynamic allocation: new, delete, malloc/calloc/realloc/free, alloca;
  * standard-library containers and smart pointers (std::vector, std::map, std::string, ...),
    and including their headers;
  * recursion (a cycle in the call graph of the functions defined in the files);
  * unbounded loops: while, do, goto, and any `for` that is not
    `for (int V = <int>; V < <int literal>; ++V)`;
  * arrays whose size is not an integer literal;
  * exceptions (throw, try);
  * multiplication, division or modulo in the ternary layers: the functions that use
    tern_trit_term (the accumulates) and the trit helpers themselves.
Code inside `#ifndef __SYNTHESIS__` (C-simulation-only tracing) is skipped, as Vitis does.
Prints one line per violation (file:line: message) and exits 1, or prints OK and exits 0.
"""
import os
import re
import sys

CONTAINERS = r"\bstd\s*::\s*(vector|string|map|unordered_map|set|unordered_set|list|deque|array|" \
             r"unique_ptr|shared_ptr|function|queue|stack|priority_queue)\b"
CONTAINER_HEADERS = r"#\s*include\s*<(vector|string|map|unordered_map|set|unordered_set|list|deque|" \
                    r"array|memory|functional|queue|stack)>"
ALLOCATION = r"\b(new|delete|malloc|calloc|realloc|free|alloca)\b"
BOUNDED_FOR = re.compile(r"for\s*\(\s*int\s+(\w+)\s*=\s*-?\d+\s*;\s*(\w+)\s*<\s*\d+\s*;\s*\+\+\s*(\w+)\s*\)")
ARRAY_DECL = re.compile(r"\b(?:float|double|int|unsigned|uint8_t|uint16_t|int8_t|int16_t|int32_t|"
                        r"ap_u?int<\d+>)\s+(\w+)\s*((?:\[[^\]]*\])+)")
TRIT_HELPERS = {"tern_trit_term", "tern_code_of_trit"}


def strip(text):
    """Comments and string/char literals become spaces (line numbers kept); the bodies of
    `#ifndef __SYNTHESIS__` regions become blank lines."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    lines = "".join(out).split("\n")
    kept, stack = [], []  # stack of (is_synthesis_guard, in_skipped_branch)
    for line in lines:
        directive = line.strip()
        skipping = any(skip for _, skip in stack)
        if re.match(r"#\s*if", directive):
            guard = re.match(r"#\s*ifndef\s+__SYNTHESIS__\b", directive) is not None
            stack.append((guard, guard))
            kept.append("")
            continue
        if re.match(r"#\s*else", directive) and stack:
            guard, skip = stack[-1]
            stack[-1] = (guard, (not skip) if guard else False)
            kept.append("")
            continue
        if re.match(r"#\s*endif", directive) and stack:
            stack.pop()
            kept.append("")
            continue
        kept.append("" if skipping else line)
    return kept


def functions(lines):
    """(name, first line, body text, body start line) of each function defined at file scope."""
    text = "\n".join(lines)
    found = []
    depth = 0
    header = re.compile(r"([A-Za-z_]\w*)\s*\(([^;{}()]|\([^()]*\))*\)\s*(const\s*)?$")
    i = 0
    while i < len(text):
        c = text[i]
        if c == "{":
            if depth == 0:
                before = text[:i].rstrip()
                m = header.search(before)
                name = m.group(1) if m else None
                if name and name not in ("if", "for", "while", "switch", "return"):
                    j, d = i, 0
                    while j < len(text):
                        d += {"{": 1, "}": -1}.get(text[j], 0)
                        if d == 0:
                            break
                        j += 1
                    found.append((name, text.count("\n", 0, m.start(1)) + 1, text[i:j + 1],
                                  text.count("\n", 0, i) + 1))
                    i = j + 1
                    continue
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return found


def lint_file(path, problems, all_functions):
    with open(path) as f:
        lines = strip(f.read())
    for number, line in enumerate(lines, 1):
        where = "%s:%d: " % (path, number)
        if line.strip().startswith("#pragma"):
            continue
        if re.search(CONTAINER_HEADERS, line):
            problems.append(where + "includes a standard container header")
        if re.search(CONTAINERS, line):
            problems.append(where + "uses a standard-library container or smart pointer")
        if re.search(ALLOCATION, line):
            problems.append(where + "allocates or frees memory dynamically")
        if re.search(r"\b(while|do|goto)\b", line):
            problems.append(where + "has a loop or jump without a static bound (while/do/goto)")
        if re.search(r"\b(throw|try|catch)\b", line):
            problems.append(where + "uses exceptions")
        for m in re.finditer(r"\bfor\s*\(", line):
            loop = BOUNDED_FOR.match(line, m.start())
            if not loop or not (loop.group(1) == loop.group(2) == loop.group(3)):
                problems.append(where + "has a for loop without a literal bound: " + line.strip())
        for m in ARRAY_DECL.finditer(line):
            for size in re.findall(r"\[([^\]]*)\]", m.group(2)):
                if not re.fullmatch(r"\s*\d+\s*", size) and "=" not in line[:m.start()]:
                    problems.append(where + "array '%s' has a size that is not a literal: [%s]"
                                    % (m.group(1), size.strip()))
    for name, line, body, start in functions(lines):
        all_functions.setdefault(name, []).append((path, line, body, start))


def check_calls(all_functions, problems):
    calls = {}
    for name, definitions in all_functions.items():
        callees = set()
        for _, _, body, _ in definitions:
            callees |= {c for c in re.findall(r"\b([A-Za-z_]\w*)\s*(?:<[^<>;()]*>)?\s*\(", body)
                        if c in all_functions}
        calls[name] = callees
    # recursion: any cycle in the call graph
    state = {}

    def visit(name, path):
        state[name] = "open"
        for callee in sorted(calls[name]):
            if state.get(callee) == "open":
                cycle = path[path.index(callee):] + [callee]
                file, line, _, _ = all_functions[callee][0]
                problems.append("%s:%d: recursion: %s" % (file, line, " -> ".join(cycle)))
            elif callee not in state:
                visit(callee, path + [callee])
        state[name] = "done"

    for name in sorted(calls):
        if name not in state:
            visit(name, [name])
    # ternary layers: no multiply/divide/modulo
    for name, definitions in all_functions.items():
        for path, line, body, start in definitions:
            if name not in TRIT_HELPERS and "tern_trit_term" not in body:
                continue
            for offset, text in enumerate(body.split("\n")):
                if text.strip().startswith("#"):
                    continue
                if re.search(r"[*/%]", text):
                    problems.append("%s:%d: multiplication or division in ternary layer %s: %s"
                                    % (path, start + offset, name, text.strip()))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    paths = []
    for arg in sys.argv[1:]:
        if os.path.isdir(arg):
            src = os.path.join(arg, "src")
            paths += sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith((".cpp", ".h")))
        else:
            paths.append(arg)
    problems, all_functions = [], {}
    for path in paths:
        lint_file(path, problems, all_functions)
    check_calls(all_functions, problems)
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    ternary = sum(1 for n, d in all_functions.items() for _, _, b, _ in d if "tern_trit_term" in b)
    print("OK: %d files, %d functions (%d with ternary accumulates): no dynamic allocation, "
          "recursion, unbounded loops, containers or multiplications in ternary layers"
          % (len(paths), len(all_functions), ternary))


if __name__ == "__main__":
    main()
