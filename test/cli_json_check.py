#!/usr/bin/env python3
"""cli_json_check.py - the JSON shapes of the indexbus CLI (docs/CLI.md, "JSON").

  cli_json_check.py SHAPE [FILE]   validate one document (stdin or FILE) against
                                   SHAPE: info, list, top or recover
  cli_json_check.py --docs CLI.md  every shape has an example in CLI.md (a ```json
                                   block after "<!-- json-shape: SHAPE -->") and
                                   each example validates

A dict is an object with exactly those keys (a missing or an extra key fails:
added keys must be added here and in CLI.md); [T] an array of T; a tuple any of
its members; int excludes bool; float takes int too. Stdlib only."""
import json
import re
import sys

COUNTERS = {k: int for k in (
    "published routed route_no_space free_slots spsc_depth mpsc_depth bytes_used "
    "bytes_free bytes_padding records_waiting").split()}
COUNTERS["stream_state"] = (str, None)
COUNTERS.update({k: int for k in (
    "stream_writers writers_aborted stream_bytes_read rpc_cells_free "
    "rpc_replies_abandoned rpc_requests_failed producers_live consumers_live "
    "routers_live participants_live").split()})

BRIDGE = {k: int for k in "forwarded acknowledged resent deduplicated refused".split()}
BRIDGE_OUT = dict(BRIDGE, consumer=int)

REGION = {
    "name": str,
    "kind": str,
    "layout": str,
    "capabilities": {"mask": int, "names": [str]},
    "total_bytes": int,
    "creator_pid": int,
    "created_ns": int,
    "last_activity_ns": int,
    "read_only": bool,
    "durable": bool,
    "fanout_recycle": bool,
    "mpsc_batch": bool,
    "mpsc_recycle": bool,
    "geometry": {k: int for k in (
        "slots slot_data_size queue_capacity consumers byte_capacity max_record cells "
        "max_request max_reply").split()},
    "counters": COUNTERS,
    "consumers": [{"index": int, "attached": bool, "delivered": int, "dropped_full": int,
                   "dropped_no_credit": int, "depth": int}],
    "participants_alive": int,
    "participants_dead": int,
    "participants": [{"slot": int, "role": str, "consumer": (int, None), "pid": int,
                      "alive": bool, "attached_ns": int}],
    "durable_state": (None, {"region_id": str, "mark": (int, None),
                             "pending_mark": (int, None), "held_queues": [int],
                             "bridge_in": BRIDGE, "bridge_out": [BRIDGE_OUT]}),
}

RATES = {"seconds": float, "published": float, "routed": float, "route_no_space": float,
         "consumers": [{"index": int, "delivered": float, "dropped": float}]}

LIST_ROW_OK = {"name": str, "error": None, "kind": str, "layout": str, "total_bytes": int,
               "durable": bool, "fanout_recycle": bool, "mpsc_batch": bool,
               "mpsc_recycle": bool, "participants_alive": int, "participants_dead": int,
               "published": int, "created_ns": int, "last_activity_ns": int,
               "last_activity_age_s": float}
LIST_ROW_ERR = {"name": str, "error": str}

SHAPES = {
    "info": dict({"version": int}, **REGION),
    "list": {"version": int, "dir": str, "regions": [(LIST_ROW_OK, LIST_ROW_ERR)],
             "skipped": int, "failed": int},
    "top": {"version": int, "interval_s": float,
            "regions": [dict(REGION, rates=RATES)],
            "errors": [{"name": str, "error": str}]},
    "recover": {"version": int, "name": str, "swept": bool, "dead_participants": int,
                "slots_reclaimed": int, "cells_skipped": int, "messages_dropped": int,
                "elapsed_ns": int},
}


def check(value, schema, path, errors):
    """Append to errors where value does not fit schema; True if it fits."""
    before = len(errors)
    if isinstance(schema, tuple):
        for alt in schema:
            trial = []
            check(value, alt, path, trial)
            if not trial:
                return True
        errors.append(f"{path}: {json.dumps(value)[:60]} fits none of the allowed shapes")
    elif schema is None:
        if value is not None:
            errors.append(f"{path}: want null, got {type(value).__name__}")
    elif isinstance(schema, dict):
        if not isinstance(value, dict):
            errors.append(f"{path}: want an object, got {type(value).__name__}")
            return False
        for k in schema:
            if k not in value:
                errors.append(f"{path}: missing key {k!r}")
            else:
                check(value[k], schema[k], f"{path}.{k}", errors)
        for k in value:
            if k not in schema:
                errors.append(f"{path}: undocumented key {k!r}")
    elif isinstance(schema, list):
        if not isinstance(value, list):
            errors.append(f"{path}: want an array, got {type(value).__name__}")
            return False
        for i, item in enumerate(value):
            check(item, schema[0], f"{path}[{i}]", errors)
    elif schema is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: want a number, got {type(value).__name__}")
    elif schema is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(f"{path}: want a non-negative integer, got {json.dumps(value)}")
    elif not isinstance(value, schema) or (schema is int and isinstance(value, bool)):
        errors.append(f"{path}: want {schema.__name__}, got {type(value).__name__}")
    if not errors[before:] and isinstance(value, dict) and "version" in value and path == "$":
        if value["version"] != 1:
            errors.append(f"$.version: {value['version']} (this checker knows version 1)")
    return len(errors) == before


def check_docs(path):
    text = open(path).read()
    bad = 0
    for shape in SHAPES:
        m = re.search(r"<!-- json-shape: %s -->\s*```json\n(.*?)```" % shape, text, re.S)
        if m is None:
            print(f"FAIL {path}: no example of the {shape!r} shape")
            bad += 1
            continue
        errors = []
        check(json.loads(m.group(1)), SHAPES[shape], "$", errors)
        for e in errors:
            print(f"FAIL {path} {shape} example: {e}")
        bad += bool(errors)
    if not bad:
        print(f"PASS {path}: an example of each JSON shape ({', '.join(SHAPES)}), each valid")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--docs":
        return check_docs(argv[2])
    if len(argv) not in (2, 3) or argv[1] not in SHAPES:
        print(__doc__, file=sys.stderr)
        return 2
    text = open(argv[2]).read() if len(argv) == 3 else sys.stdin.read()
    lines = text.splitlines()
    if len(lines) != 1:
        print(f"FAIL {argv[1]}: want one line of JSON, got {len(lines)}")
        return 1
    errors = []
    check(json.loads(text), SHAPES[argv[1]], "$", errors)
    for e in errors:
        print(f"FAIL {argv[1]}: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
