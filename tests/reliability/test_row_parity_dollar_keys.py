"""Keys starting with "$" have the same outcome in dev and in prod (the real ytsaurus-client
against the fake proxy): refused where a cluster's JSON parser refuses them, in its words,
whether the driver writes the row, a job writes it through ytjobs, or a job prints it.

What a cluster does, and where that was learned: YT builds each JSON row as a tree and
replays it (TJsonCallbacksBuildingNodesImpl::ConsumeNode / ConsumeMapFragment in
yt/yt/core/json/json_callbacks.cpp, ytsaurus/ytsaurus), with the format's attributes_mode at
its default `on_demand` (yt/yt/core/json/config.cpp): a key starting with a single "$" is
'Key "$x" starts with single "$"; use "$$x" to encode this key in JSON format', a map with
"$attributes" and no "$value" is 'Found key "$attributes" without key "$value"', and an
object holding "$value" is the value it wraps, so a top-level one is no row (a bare value
is "Invalid row format, map expected": TTableConsumer::ThrowMapExpected,
yt/yt/client/table_client/table_consumer.cpp). Before, both modes stored such rows as
written, and a row holding "$value" read back in prod as a broken table switch
(ytsaurus-client's JsonFormat.load_rows: "Incorrect $value of table switch in JSON format").
"""

from __future__ import annotations

import pytest
from test_row_parity import Both, modes  # noqa: F401 - a fixture

from yt_pipeline.errors import BackendError, OperationFailed

SINGLE = 'Key "{0}" starts with single "$"; use "${0}" to encode this key in JSON format'
NO_VALUE = 'Found key "$attributes" without key "$value"'

#: rows write_table refuses in both modes, and the words of each refusal after "row 2: "
REFUSED = {
    "column": ({"$x": 1}, "column '$x': " + SINGLE.format("$x")),
    "system-column-name": ({"a": 1, "$row_index": 5},
                           "column '$row_index': " + SINGLE.format("$row_index")),
    "lone-dollar": ({"$": 1}, "column '$': " + SINGLE.format("$")),
    "attributes-column": ({"$attributes": {"a": 1}}, "column '$attributes': " + NO_VALUE),
    "nested-key": ({"m": {"ok": 1, "$bad": 2}},
                   "column 'm' holds a map key '$bad': " + SINGLE.format("$bad")),
    "key-in-list": ({"l": [1, {"$k": None}]},
                    "column 'l' holds a map key '$k': " + SINGLE.format("$k")),
    "nested-attributes": ({"m": {"$attributes": {}}},
                          "column 'm' holds a map key '$attributes': " + NO_VALUE),
    "value-row": ({"$value": 1}, "column '$value': YT's JSON format reads an object holding "
                                 "\"$value\" as the value it wraps"),
    "switch-like-row": ({"$attributes": {"table_index": 0}, "$value": None},
                        "column '$value': YT's JSON format reads"),
}
#: rows both modes store as written: "$$x" is how JSON spells the key "$x", and "$" later
#: in a key, an "@", or text starting with "$" are no keys YT reads specially
STORED = [{"$$x": 1, "a$": "$y", "@z": {"$$k": ["$"]}}]


#: rows holding a wrapped value a cluster refuses, and the words after "row 2: "
WRAPPED_REFUSED = {
    "attributes-on-a-column": ({"m": {"$value": 5, "$attributes": {"a": 1}}},
                               "column 'm': Table values cannot have top-level attributes"),
    "attributes-not-a-map": ({"m": [{"$value": 5, "$attributes": [1]}]},
                             "column 'm': Value of \"$attributes\" must be a map"),
    "attribute-key": ({"m": [{"$value": 5, "$attributes": {"$k": 1}}]},
                      "column 'm' holds a map key '$k': " + SINGLE.format("$k")),
    "type-unknown": ({"m": {"$value": 1, "$type": "int32"}},
                     "column 'm': Unexpected \"$type\" value \"int32\""),
    "type-mismatch": ({"m": {"$value": 1.5, "$type": "int64"}},
                      "column 'm': Type mismatch in JSON"),
    "type-bad-text": ({"m": {"$value": "12x", "$type": "uint64"}},
                      "column 'm': Unexpected symbol \"x\" at pos 2 in string \"12x\". "),
    "type-overflow": ({"m": {"$value": "9223372036854775808", "$type": "int64"}},
                      "column 'm': Integer overflow in string \"9223372036854775808\". "),
    "type-bad-boolean": ({"m": {"$value": "yes", "$type": "boolean"}},
                         "column 'm': Invalid boolean string \"yes\""),
}


@pytest.mark.parametrize("row, words", [*REFUSED.values(), *WRAPPED_REFUSED.values()],
                         ids=[*REFUSED, *WRAPPED_REFUSED])
def test_write_table_refuses_a_dollar_key_in_the_parsers_words(modes, row, words):  # noqa: F811
    """A key YT's JSON parser takes for its own (REFUSED), and a wrapped value a cluster
    refuses to store (WRAPPED_REFUSED), each in the cluster's words."""
    both = modes()
    errors = {}
    for mode, client in both.each():
        with pytest.raises(BackendError) as caught:
            client.write_table("//rows/t", [{"id": 0}, row])
        errors[mode] = str(caught.value)
        assert not client.exists("//rows/t"), mode
    assert errors["dev"] == errors["prod"]
    assert errors["dev"].startswith(f"write_table //rows/t: row 2: {words}"), errors["dev"]


def test_keys_the_parser_takes_are_stored_alike(modes):  # noqa: F811
    both = modes()
    both.put("//rows/t", STORED)
    assert both.read("//rows/t") == {"dev": STORED, "prod": STORED}


YTJOBS_MAPPER = """
from ytjobs import read_rows, write_row
for row in read_rows():
    write_row({"id": row["id"], "m": {"$$ok": 1, "$bad": 2}})
"""

PRINTING_MAPPER = """
import sys
from ytjobs import read_rows, write_rows
write_rows(list(read_rows()))
sys.stdout.buffer.write({line!r}.encode() + b"\\n")
"""


def test_a_job_writing_a_dollar_key_through_ytjobs_fails_alike(modes):  # noqa: F811
    both = modes({"src/mapper.py": YTJOBS_MAPPER})
    both.put("//rows/in", [{"id": 1}])
    errors = both.map("src/mapper.py", "//rows/in", "//rows/out")
    for mode, error in errors.items():
        assert isinstance(error, OperationFailed), (mode, error)
        assert ("RowRefused: column 'm' holds a map key '$bad': "
                + SINGLE.format("$bad")) in str(error), (mode, str(error))


@pytest.mark.parametrize("line, words", [
    ('{"id": 2, "$x": 1}', SINGLE.format("$x")),
    ('{"id": 2, "m": [{"$attributes": {}}]}', NO_VALUE),
    ('{"id": 2, "m": {"$y": {"$$z": 1}}}', SINGLE.format("$y")),
], ids=["column", "attributes-in-list", "nested"])
def test_a_job_printing_a_dollar_key_fails_alike(modes, line, words):  # noqa: F811
    """Dev's check of a job's output took these lines, and the fake's parser stored them."""
    both = modes({"src/mapper.py": PRINTING_MAPPER.format(line=line)})
    both.put("//rows/in", [{"id": 1}])
    both.map_fails("src/mapper.py", "//rows/in", "//rows/out", words)


def test_a_job_printing_keys_the_parser_takes_stores_them_alike(modes):  # noqa: F811
    line = '{"id": 2, "$$x": "$v", "w": {"$$k": 1}}'
    both = modes({"src/mapper.py": PRINTING_MAPPER.format(line=line)})
    both.put("//rows/in", [{"id": 1}])
    assert both.map("src/mapper.py", "//rows/in", "//rows/out") == {"dev": None, "prod": None}
    rows = [{"id": 1}, {"id": 2, "$$x": "$v", "w": {"$$k": 1}}]
    assert both.read("//rows/out") == {"dev": rows, "prod": rows}


# -- a value wrapped in {"$value": ...} inside a row ------------------------------------------
# The parser makes such a map the value it wraps, converted to its "$type" and with its
# "$attributes" as attributes, other keys unread (ConsumeNode(IMapNodePtr) in
# json_callbacks.cpp); the table consumer keeps attributes below a column's value and refuses
# them on it ("Table values cannot have top-level attributes":
# TYsonToUnversionedValueConverter::OnBeginAttributes, yt/yt/client/table_client/
# table_consumer.cpp); read back, a value with attributes is {"$attributes", "$value"}
# (TJsonConsumer::OnBeginAttributes, yt/yt/core/json/json_writer.cpp). Before, both modes
# stored the wrapper as written.

#: (row as written, row as a cluster stores and reads it back)
UNWRAPPED = {
    "scalar": ({"id": 1, "m": {"$value": 5}}, {"id": 1, "m": 5}),
    "in-list": ({"id": 2, "m": [{"$value": "a"}, 1]}, {"id": 2, "m": ["a", 1]}),
    "attributes-kept-below-the-column": (
        {"id": 3, "m": [{"$value": "a", "$attributes": {"k": {"$value": 1}}, "x": 0}]},
        {"id": 3, "m": [{"$attributes": {"k": 1}, "$value": "a"}]}),
    "typed-from-text": ({"id": 4, "m": {"$value": "-7", "$type": "int64"}}, {"id": 4, "m": -7}),
    "typed-wraps-uint64": ({"id": 5, "m": {"k": {"$value": -1, "$type": "uint64"}}},
                           {"id": 5, "m": {"k": 18446744073709551615}}),
    "typed-boolean": ({"id": 6, "m": {"$value": "true", "$type": "boolean"}},
                      {"id": 6, "m": True}),
    "wrapped-map": ({"id": 7, "m": {"$value": {"$$x": {"$value": None}}, "$junk": 1}},
                    {"id": 7, "m": {"$$x": None}}),
}


def test_write_table_stores_a_wrapped_value_as_a_cluster_does(modes):  # noqa: F811
    both = modes()
    both.put("//rows/t", [written for written, _ in UNWRAPPED.values()])
    stored = [kept for _, kept in UNWRAPPED.values()]
    assert both.read("//rows/t") == {"dev": stored, "prod": stored}




WRAPPING_MAPPER = """
from ytjobs import read_rows, write_row
for row in read_rows():
    write_row({"id": row["id"], "m": [{"$value": "a", "$attributes": {"k": 1}}],
               "n": {"$value": "5", "$type": "uint64"}})
"""
WRAPPED_OUT = [{"id": 1, "m": [{"$attributes": {"k": 1}, "$value": "a"}], "n": 5}]


def test_a_job_writing_a_wrapped_value_through_ytjobs_stores_it_alike(modes):  # noqa: F811
    both = modes({"src/mapper.py": WRAPPING_MAPPER})
    both.put("//rows/in", [{"id": 1}])
    assert both.map("src/mapper.py", "//rows/in", "//rows/out") == {"dev": None, "prod": None}
    assert both.read("//rows/out") == {"dev": WRAPPED_OUT, "prod": WRAPPED_OUT}


def test_a_job_printing_a_wrapped_value_stores_it_alike(modes):  # noqa: F811
    line = '{"id": 2, "m": [{"$value": "a", "$attributes": {"k": 1}}], "n": {"$value": 5}}'
    both = modes({"src/mapper.py": PRINTING_MAPPER.format(line=line)})
    both.put("//rows/in", [{"id": 1}])
    assert both.map("src/mapper.py", "//rows/in", "//rows/out") == {"dev": None, "prod": None}
    rows = [{"id": 1}, {"id": 2, "m": [{"$attributes": {"k": 1}, "$value": "a"}], "n": 5}]
    assert both.read("//rows/out") == {"dev": rows, "prod": rows}


def test_a_job_printing_attributes_on_a_column_fails_alike(modes):  # noqa: F811
    line = '{"id": 2, "m": {"$value": 1, "$attributes": {}}}'
    both = modes({"src/mapper.py": PRINTING_MAPPER.format(line=line)})
    both.put("//rows/in", [{"id": 1}])
    errors = both.map("src/mapper.py", "//rows/in", "//rows/out")
    for mode, error in errors.items():
        assert isinstance(error, OperationFailed), (mode, error)
        assert "Table values cannot have top-level attributes" in str(error), (mode, str(error))
