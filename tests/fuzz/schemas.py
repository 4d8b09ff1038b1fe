"""Hypothesis strategies from the JSON Schemas of the RPC contract (``anchang_common.contract``).

hypothesis-jsonschema would be the library made for this, but its newest release (0.23.1) does not
run on the hypothesis the project pins (6.170: it calls internals since removed), so this module
covers the keywords the contract uses: ``type`` (one or a list), ``const``, ``enum``, ``anyOf``,
``properties``/``required``/``additionalProperties``/``propertyNames``/``minProperties``, ``items``/
``minItems``/``maxItems``, ``minLength``/``maxLength``/``pattern``/``format`` (``date``,
``date-time``), ``minimum``/``maximum``/``exclusiveMinimum``. ``strategy(schema)`` draws values valid
under ``schema``; ``unknown_keywords(schema)`` names any other keyword, so that a schema growing past
this module fails a test instead of being fuzzed loosely.
"""
from datetime import UTC

import hypothesis.strategies as st

#: long enough to cross every limit the services set on lists and texts, short enough to stay fast
MAX_TEXT, MAX_ITEMS, MAX_KEYS = 300, 6, 6
ANNOTATIONS = {"title", "description", "examples", "x-pii", "$schema", "default"}
KNOWN = ANNOTATIONS | {"type", "const", "enum", "anyOf", "properties", "required", "additionalProperties",
                       "propertyNames", "minProperties", "items", "minItems", "maxItems", "minLength", "maxLength",
                       "pattern", "format", "minimum", "maximum", "exclusiveMinimum"}


def unknown_keywords(schema, found=None):
    found = set() if found is None else found
    if isinstance(schema, dict):
        found |= set(schema) - KNOWN
        for key in ("properties",):
            for sub in schema.get(key, {}).values():
                unknown_keywords(sub, found)
        for key in ("items", "additionalProperties", "propertyNames"):
            if isinstance(schema.get(key), dict):
                unknown_keywords(schema[key], found)
        for sub in schema.get("anyOf", []):
            unknown_keywords(sub, found)
    return found


def strategy(schema):
    """Values valid under ``schema``."""
    if schema is True or schema == {}:
        return json_values()
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        base = {key: value for key, value in schema.items() if key != "anyOf"}
        return st.one_of([strategy({**base, **option}) for option in schema["anyOf"]])
    kinds = schema.get("type")
    if kinds is None:
        return json_values()
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return st.one_of([_of_type(kind, schema) for kind in kinds])


def _of_type(kind, schema):
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" in schema:
            low = schema["exclusiveMinimum"] + (1 if kind == "integer" else 1e-6)
        if kind == "integer":
            return st.integers(min_value=None if low is None else int(-(-low // 1)),
                               max_value=None if high is None else int(high))
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        return st.lists(strategy(schema.get("items", {})), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", MAX_ITEMS), max(MAX_ITEMS, schema.get("minItems", 0))))
    if kind == "object":
        return _object(schema)
    raise ValueError(f"no strategy for type {kind!r}")


def _string(schema):
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", MAX_TEXT), MAX_TEXT)
    if schema.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    if schema.get("format") == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat())
    if "pattern" in schema:
        return st.from_regex(schema["pattern"]).filter(lambda text: low <= len(text) <= schema.get("maxLength", 10**9))
    return st.text(min_size=low, max_size=max(low, high))


def _object(schema):
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = st.fixed_dictionaries({name: strategy(properties[name]) for name in properties if name in required},
                                  optional={name: strategy(sub) for name, sub in properties.items()
                                            if name not in required})
    extra = schema.get("additionalProperties", True)
    if extra is False or not isinstance(extra, dict):
        least = schema.get("minProperties", 0)
        return fixed.filter(lambda drawn: len(drawn) >= least) if least else fixed
    keys = strategy({"type": "string", **schema.get("propertyNames", {})})
    more = st.dictionaries(keys, strategy(extra), min_size=schema.get("minProperties", 0), max_size=MAX_KEYS)
    return st.tuples(more, fixed).map(lambda parts: {**parts[0], **parts[1]})


def json_values():
    """Any JSON value."""
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
        max_leaves=8)
