#!/usr/bin/env python3
"""layout_doc_check.py LAYOUT.md LAYOUT_TXT - LAYOUT.md's struct tables vs layout.h.

Compares every table of abi/LAYOUT.md that documents a struct of
abi/include/indexbus/layout.h (TABLES below) with the layout dump that
abi/layout_dump.sh prints (abi.sh check writes it to $B/abi/layout.txt):
each field of the struct must be a row of its table, with the same name,
offset and size and a matching base type (u8/u16/u32/u64 or an aggregate),
and each row that lies inside the struct must be a field of it. Rows at or
past the struct's size describe what follows the struct in the section (the
queue cells, the slots, a slot's data) and are not compared.

Also fails when a struct of layout.h has no table here, a mapped section or
table is missing, a section holding struct tables has a table this script
does not map, or a run of table rows has no header (a table split by a
paragraph). Exit status: 0 agree, 1 disagree, 2 usage or unreadable input.
"""
import re
import sys

# (LAYOUT.md section number, n-th table of that section, layout.h struct).
# Every struct of layout.h must appear here, and every table of these
# sections must be listed.
TABLES = [
    ("2.1", 1, "indexbus_region_header"),
    ("2.2", 1, "indexbus_section_entry"),
    ("4.1", 1, "indexbus_participants_section"),
    ("4.1", 2, "indexbus_participants_ctl"),
    ("4.1", 3, "indexbus_participant"),
    ("4.2", 1, "indexbus_counters_global"),
    ("4.2", 2, "indexbus_counters_consumer"),
    ("4.3", 1, "indexbus_wake_entry"),
    ("4.4", 1, "indexbus_router_section"),
    ("4.5", 1, "indexbus_spsc_ctl"),
    ("4.6", 1, "indexbus_mpsc_ctl"),
    ("4.6", 2, "indexbus_mpsc_cell"),
    ("4.8", 1, "indexbus_pool_ctl"),
    ("4.8", 2, "indexbus_slot_header"),
    ("4.9", 1, "indexbus_log_ctl"),
    ("4.9", 2, "indexbus_log_header"),
    ("4.10", 1, "indexbus_stream_ctl"),
    ("4.11", 1, "indexbus_rpc_ctl"),
    ("4.11", 2, "indexbus_rpc_cell"),
    ("4.12", 1, "indexbus_durable_ctl"),
    ("4.12", 2, "indexbus_durable_mark"),
    ("4.12", 3, "indexbus_durable_counters"),
]
# Sections of LAYOUT.md in which every table must be a mapped struct table
# (4.7 has none; a table added there would need an entry above).
STRICT_SECTIONS = ("2.1", "2.2", "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12")
LAYOUT_H = "abi/include/indexbus/layout.h"
DOC_TYPES = {"u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t"}

problems = []


def fail(msg):
    problems.append(msg)


def read_dump(path):
    """{struct: (size, [(field, offset, size, type)])} for layout.h's structs."""
    structs, cur, in_layout = {}, None, False
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "#":
                in_layout = len(w) > 1 and w[1].endswith(LAYOUT_H)
                continue
            if not in_layout:
                continue
            if w[0] == "struct":  # struct NAME size N align A
                cur = w[1]
                structs[cur] = (int(w[3]), [])
            elif w[0] == "field":  # field S.F offset O size N type T...
                s, fld = w[1].split(".", 1)
                structs[s][1].append((fld, int(w[3]), int(w[5]), " ".join(w[7:])))
            elif w[0] == "pad":  # pad S offset O size N: bytes no field covers
                structs[w[1]][1].append(("<implicit padding>", int(w[3]), int(w[5]), "-"))
    return structs


def cells(line):
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", s)]


def is_separator(line):
    return re.fullmatch(r"\s*\|?(\s*:?-+:?\s*\|)*\s*:?-+:?\s*\|?\s*", line) is not None


def read_doc(path):
    """{section number: {"title", "line", "tables": [table]}}; a table is
    {"line", "lead", "header", "rows": [(line number, cells)]} or, for rows
    without a header and separator line, {"line", "orphan": True}."""
    sections, cur, lead, fenced = {}, None, "", False
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.lstrip().startswith("```"):
            i += 1
            continue
        m = re.match(r"#{2,4} (\d+(?:\.\d+)*)\.? (.*)", line)
        if m:
            cur = m.group(1)
            sections[cur] = {"title": m.group(1) + " " + m.group(2), "line": i + 1, "tables": []}
            lead = ""
            i += 1
            continue
        if line.startswith("|"):
            start = i
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            block = lines[start:i]
            if cur is None:
                continue
            if len(block) < 2 or not is_separator(block[1]):
                sections[cur]["tables"].append({"line": start + 1, "orphan": True})
            else:
                sections[cur]["tables"].append({
                    "line": start + 1, "lead": lead, "header": cells(block[0]),
                    "rows": [(start + 3 + k, cells(r)) for k, r in enumerate(block[2:])]})
            lead = ""
            continue
        # the paragraph right before a table, shown in messages if it ends in ":"
        if line.strip():
            lead = (lead + " " + line.strip()).strip() if lines[i - 1].strip() else line.strip()
        i += 1
    return sections


def field_name(cell):
    """`name` (the first code span, [..] dropped) or the plain cell text."""
    m = re.search(r"`([^`]*)`", cell)
    name = m.group(1) if m else cell
    return re.sub(r"\s*\[.*", "", name).strip()


def number(cell):
    m = re.fullmatch(r"\+?\s*(\d+)", cell.strip())
    return int(m.group(1)) if m else None


def check_table(doc_path, where, tab, struct, size, fields):
    def col(name):
        for k, h in enumerate(tab["header"]):
            if h.strip().lower() == name:
                return k
        return None
    cols = {n: col(n) for n in ("offset", "size", "type", "field")}
    missing = [n for n, k in cols.items() if k is None]
    if missing:
        fail("%s:%d: %s: the table of struct %s has no %s column (needs Offset, Size, Type, Field)"
             % (doc_path, tab["line"], where, struct, ", ".join(missing)))
        return 0
    by_name = {f[0]: f for f in fields}
    seen, last_off, trailing, n = {}, -1, False, 0
    for lineno, row in tab["rows"]:
        at = "%s:%d: %s, struct %s" % (doc_path, lineno, where, struct)
        get = lambda n: row[cols[n]] if cols[n] < len(row) else ""
        off, sz, name = number(get("offset")), number(get("size")), field_name(get("field"))
        f = by_name.get(name)
        if f is None and off is not None and off >= size:
            trailing = True  # from here on: what follows the struct in the section
        if trailing and (f is None or off is None):
            continue
        if off is None:
            fail("%s: row \"%s\" has no byte offset (\"%s\") but lies inside the struct (%d bytes)"
                 % (at, name, get("offset"), size))
            continue
        n += 1
        if off <= last_off:
            fail("%s: field %s at +%d comes after +%d: rows not in offset order" % (at, name, off, last_off))
        last_off = off
        if name in seen:
            fail("%s: field %s documented twice (also on line %d)" % (at, name, seen[name]))
            continue
        seen[name] = lineno
        if f is None:
            here = [g[0] for g in fields if g[1] <= off < g[1] + g[2]]
            fail("%s: field %s (+%d, %s bytes) is not a field of struct %s in layout.h%s"
                 % (at, name, off, get("size") or "?", struct,
                    " (layout.h has %s there)" % ", ".join(here) if here else ""))
            continue
        if off != f[1]:
            fail("%s: field %s: LAYOUT.md says offset +%d, layout.h says +%d" % (at, name, off, f[1]))
        if sz != f[2]:
            fail("%s: field %s: LAYOUT.md says size %s, layout.h says %d"
                 % (at, name, sz if sz is not None else '"%s"' % get("size"), f[2]))
        dt = re.sub(r"\(.*?\)", "", get("type")).strip()
        dbase = re.split(r"[\s\[]", dt, maxsplit=1)[0] if dt else ""
        hbase = re.split(r"[\s\[]", f[3], maxsplit=1)[0]
        if dbase in DOC_TYPES:
            if DOC_TYPES[dbase] != hbase:
                fail("%s: field %s: LAYOUT.md says type %s, layout.h says %s" % (at, name, get("type"), f[3]))
        elif not dbase or hbase in DOC_TYPES.values() or hbase == "-":
            fail("%s: field %s: LAYOUT.md says type \"%s\", layout.h says %s" % (at, name, get("type"), f[3]))
    for f in fields:
        if f[0] not in seen:
            fail("%s:%d: %s: field %s of struct %s (+%d, %d bytes, %s) is missing from the table"
                 % (doc_path, tab["line"], where, f[0], struct, f[1], f[2], f[3]))
    return n


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: layout_doc_check.py LAYOUT.md LAYOUT_TXT\n")
        return 2
    doc_path, dump_path = argv[1], argv[2]
    try:
        structs = read_dump(dump_path)
        sections = read_doc(doc_path)
    except (OSError, ValueError, IndexError, KeyError) as e:
        sys.stderr.write("layout-doc: cannot read the inputs: %s\n" % e)
        return 2
    if not structs:
        sys.stderr.write("layout-doc: %s lists no struct of %s\n" % (dump_path, LAYOUT_H))
        return 2

    mapped = {}
    for sec, nth, struct in TABLES:
        if struct not in structs:
            fail("layout_doc_check.py maps LAYOUT.md %s table %d to struct %s, which %s does not have"
                 % (sec, nth, struct, LAYOUT_H))
        mapped.setdefault(sec, {})[nth] = struct
    for struct in structs:
        if struct not in [t[2] for t in TABLES]:
            fail("struct %s of %s is documented by no table of %s (document it and map it in TABLES of abi/layout_doc_check.py)"
                 % (struct, LAYOUT_H, doc_path))

    nfields = 0
    for sec in STRICT_SECTIONS:
        want = mapped.get(sec, {})
        if sec not in sections:
            if want:
                fail("%s: section %s is gone; it documented struct %s"
                     % (doc_path, sec, ", ".join(want.values())))
            continue
        s = sections[sec]
        tables = s["tables"]
        for tab in tables:
            if tab.get("orphan"):
                fail("%s:%d: %s: table rows without a header line: a table split by a paragraph, or rows that belong to the table above"
                     % (doc_path, tab["line"], s["title"]))
        tables = [t for t in tables if not t.get("orphan")]
        for nth, tab in enumerate(tables, 1):
            struct = want.get(nth)
            lead = tab["lead"] if tab["lead"].endswith(":") else ""
            lead = lead if len(lead) <= 40 else lead[:37] + "..."
            where = "%s, table %d%s" % (s["title"], nth, (" (%s)" % lead) if lead else "")
            if struct is None:
                fail("%s:%d: %s documents no layout.h struct this check knows (map it in TABLES of abi/layout_doc_check.py)"
                     % (doc_path, tab["line"], where))
                continue
            if struct in structs:
                size, fields = structs[struct]
                nfields += check_table(doc_path, where, tab, struct, size, fields)
        for nth, struct in sorted(want.items()):
            if nth > len(tables):
                fail("%s:%d: %s: no table %d (struct %s); the section has %d table(s)"
                     % (doc_path, s["line"], s["title"], nth, struct, len(tables)))

    if problems:
        for p in problems:
            print("layout-doc: " + p)
        print("layout-doc: %d problem(s): %s and %s disagree" % (len(problems), doc_path, LAYOUT_H))
        return 1
    print("layout-doc: %d struct tables, %d fields in %s as in %s"
          % (len(TABLES), nfields, doc_path, LAYOUT_H))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
