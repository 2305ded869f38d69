"""Checks raw 2017-01-17 JSON answers against the botocore model installed with boto3.

The model is the one botocore ships (`botocore/data/mturk/2017-01-17/service-2.json`),
read through `botocore.loaders`; nothing of it is copied into this repository.

  * `load_mturk_model()` returns the model as a dict;
  * `shape_problems(model, shape, value)` lists every way a decoded JSON value
    departs from a shape, recursively (empty list: it conforms);
  * `assert_shape(model, shape, value)` fails the test with all of them;
  * `decode_answer(body)` decodes a raw answer body strictly (UTF-8, no
    duplicate keys, no NaN/Infinity);
  * `error_body_problems(model, operation, body)` checks an error answer
    (`__type` naming a modelled error of the operation, the rest its shape);
  * `WireLog` records every raw answer a boto3 client receives (botocore's
    `before-parse` event), before botocore's parser forgives anything;
  * `output_members(model, operations)` lists every (structure, member) that
    the operations' outputs can reach, to measure what a scenario has seen.
"""

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

import botocore.loaders

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def load_mturk_model() -> dict:
    """The 2017-01-17 MTurk service model of the installed botocore."""
    return botocore.loaders.create_loader().load_service_model("mturk", "service-2", api_version="2017-01-17")


def _number(value: Any) -> bool:
    # bool is an int in Python; JSON true is not a number.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Members whose model `pattern` answers do not follow, and why. The model
# writes patterns for what a caller may send; these members echo text the
# requester chose, which no pattern restricted.
PATTERN_EXEMPT = {
    # Question identifiers of a QuestionForm are free text (QuestionForm.xsd:
    # xs:string), e.g. "color"; the model gives QuestionId the EntityId pattern
    # ^[A-Z0-9]+$ of generated ids.
    ("ReviewResultDetail", "QuestionId"),
}


def _matches(pattern: str, value: str) -> bool:
    # The model's patterns are anchored with ^...$; fullmatch keeps Python's `$`
    # from accepting a trailing newline. An unanchored pattern need only occur.
    if pattern.startswith("^") and pattern.endswith("$"):
        return re.fullmatch(pattern, value) is not None
    return re.search(pattern, value) is not None


def shape_problems(model: dict, shape_name: str, value: Any, path: str = "$",
                   seen: Optional[Set[Tuple[str, str]]] = None,
                   pattern_exempt: Set[Tuple[str, str]] = frozenset(PATTERN_EXEMPT),
                   _holder: Optional[Tuple[str, str]] = None) -> List[str]:
    """Every way `value` (decoded JSON) departs from the model's shape `shape_name`.

    The JSON types of the model's `json` protocol:

      structure -> object: each member present is one of the shape's members
                   (anything else is reported: stricter than the SDKs, which
                   drop unknown members), each `required` member is present,
                   no member is null, and each value conforms to its shape;
      list      -> array, each element conforming to the member shape;
      map       -> object, keys conforming to the key shape, values to the value shape;
      string    -> string; an `enum` restricts the values, `min`/`max` the length
                   and `pattern` the text (except for the (structure, member)
                   pairs of `pattern_exempt`, by default PATTERN_EXEMPT);
      timestamp -> number (epoch seconds, maybe fractional), finite;
      integer   -> integral JSON number within 32 bits; long within 64 bits
                   (`1.0` is not an integer); `min`/`max` bound the value;
      boolean   -> true or false;
      float/double -> number; blob -> string (base64).

    `seen`, when given, collects (structure, member) for every member met, so
    that a caller can tell which parts of the model its answers exercised.
    Returns a list of messages, each starting with the JSON path; empty when the
    value conforms.
    """
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    problems: List[str] = []

    def bad(message: str) -> List[str]:
        return [f"{path}: {message} (shape {shape_name}, {kind})"]

    if value is None:
        return bad("null where a value belongs")
    if kind == "structure":
        if not isinstance(value, dict):
            return bad(f"expected an object, got {type(value).__name__} {value!r}")
        members = shape.get("members", {})
        for name in shape.get("required", []):
            if name not in value:
                problems += bad(f"required member {name!r} is missing")
        for name, member_value in value.items():
            if name not in members:
                problems += bad(f"member {name!r} is not in the model (members: {sorted(members)})")
                continue
            if seen is not None:
                seen.add((shape_name, name))
            problems += shape_problems(model, members[name]["shape"], member_value, f"{path}.{name}", seen,
                                       pattern_exempt, (shape_name, name))
        return problems
    if kind == "list":
        if not isinstance(value, list):
            return bad(f"expected an array, got {type(value).__name__} {value!r}")
        for i, item in enumerate(value):
            problems += shape_problems(model, shape["member"]["shape"], item, f"{path}[{i}]", seen,
                                       pattern_exempt, _holder)
        return problems
    if kind == "map":
        if not isinstance(value, dict):
            return bad(f"expected an object (map), got {type(value).__name__} {value!r}")
        for key, item in value.items():
            problems += shape_problems(model, shape["key"]["shape"], key, f"{path}<key {key!r}>", seen,
                                       pattern_exempt, _holder)
            problems += shape_problems(model, shape["value"]["shape"], item, f"{path}[{key!r}]", seen,
                                       pattern_exempt, _holder)
        return problems
    if kind in ("string", "blob"):
        if not isinstance(value, str):
            return bad(f"expected a string, got {type(value).__name__} {value!r}")
        if "enum" in shape and value not in shape["enum"]:
            problems += bad(f"{value!r} is not one of {shape['enum']}")
        if kind == "string" and "min" in shape and len(value) < shape["min"]:
            problems += bad(f"{value!r} is shorter than {shape['min']}")
        if kind == "string" and "max" in shape and len(value) > shape["max"]:
            problems += bad(f"{value!r} is longer than {shape['max']}")
        if "pattern" in shape and _holder not in pattern_exempt and not _matches(shape["pattern"], value):
            problems += bad(f"{value!r} does not match the pattern {shape['pattern']}")
        return problems
    if kind == "timestamp":
        if not _number(value) or not math.isfinite(value):
            return bad(f"expected epoch seconds (a number), got {type(value).__name__} {value!r}")
        return problems
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return bad(f"expected an integer, got {type(value).__name__} {value!r}")
        low, high = INT32 if kind == "integer" else INT64
        if not low <= value <= high:
            problems += bad(f"{value} is outside the {kind} range")
        if "min" in shape and value < shape["min"]:
            problems += bad(f"{value} is below the minimum {shape['min']}")
        if "max" in shape and value > shape["max"]:
            problems += bad(f"{value} is above the maximum {shape['max']}")
        return problems
    if kind in ("float", "double"):
        if not _number(value) or not math.isfinite(value):
            return bad(f"expected a number, got {type(value).__name__} {value!r}")
        return problems
    if kind == "boolean":
        if not isinstance(value, bool):
            return bad(f"expected true or false, got {type(value).__name__} {value!r}")
        return problems
    return bad(f"shape type {kind!r} is not known to this checker")


def assert_shape(model: dict, shape_name: str, value: Any, what: str = "",
                 seen: Optional[Set[Tuple[str, str]]] = None) -> None:
    """Fails with every problem `shape_problems` finds."""
    problems = shape_problems(model, shape_name, value, seen=seen)
    assert not problems, f"{what or shape_name} does not match the model:\n  " + "\n  ".join(problems)


def decode_answer(body: bytes) -> Any:
    """A raw JSON answer body, decoded strictly: UTF-8, no duplicate keys, no NaN."""

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        assert not duplicates, f"duplicate keys {duplicates} in {body!r}"
        return dict(pairs)

    def no_constant(name):
        raise AssertionError(f"{name} is not JSON, in {body!r}")

    return json.loads(body.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)


def error_body_problems(model: dict, operation: str, body: Any) -> List[str]:
    """Problems of an error answer of `operation`: its `__type` (the json
    protocol's error code, which botocore reads after the last `#` and before any
    `:`) must name one of the operation's modelled errors, and the other members
    must conform to that error's shape."""
    if not isinstance(body, dict):
        return [f"$: an error answer must be an object, got {body!r}"]
    wire_type = body.get("__type")
    if not isinstance(wire_type, str):
        return [f"$: no __type string in {body!r}"]
    code = wire_type.split(":")[0].rsplit("#", 1)[-1]
    errors = [e["shape"] for e in model["operations"][operation].get("errors", [])]
    if code not in errors:
        return [f"$.__type: {wire_type!r} names none of {operation}'s errors {errors}"]
    rest = {k: v for k, v in body.items() if k != "__type"}
    return shape_problems(model, code, rest)


@dataclass
class Exchange:
    """One raw answer as botocore received it."""

    operation: str
    status: int
    headers: Dict[str, str]
    body: bytes


@dataclass
class WireLog:
    """The raw answers of a boto3 client, recorded at botocore's `before-parse`
    event (`response_dict` holds the status, headers and body bytes before
    the parser sees them)."""

    exchanges: List[Exchange] = field(default_factory=list)

    def attach(self, client) -> "WireLog":
        client.meta.events.register("before-parse.mturk", self._record)
        return self

    def _record(self, operation_model, response_dict, **_):
        self.exchanges.append(Exchange(
            operation=operation_model.name,
            status=response_dict["status_code"],
            headers={k.lower(): v for k, v in response_dict["headers"].items()},
            body=response_dict["body"],
        ))

    def last(self, operation: str) -> Exchange:
        assert self.exchanges and self.exchanges[-1].operation == operation, (
            operation, [e.operation for e in self.exchanges[-3:]])
        return self.exchanges[-1]


def output_members(model: dict, operations: Iterable[str]) -> Set[Tuple[str, str]]:
    """Every (structure, member) reachable from the output shapes of `operations`."""
    found: Set[Tuple[str, str]] = set()
    visited: Set[str] = set()

    def walk(name: str) -> None:
        if name in visited:
            return
        visited.add(name)
        shape = model["shapes"][name]
        if shape["type"] == "structure":
            for member, ref in shape.get("members", {}).items():
                found.add((name, member))
                walk(ref["shape"])
        elif shape["type"] == "list":
            walk(shape["member"]["shape"])
        elif shape["type"] == "map":
            walk(shape["key"]["shape"])
            walk(shape["value"]["shape"])

    for operation in operations:
        output = model["operations"][operation].get("output")
        if output:
            walk(output["shape"])
    return found
