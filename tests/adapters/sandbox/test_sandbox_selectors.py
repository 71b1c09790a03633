"""Label and field selectors as kubectl's -l and --field-selector reach the sandbox."""

from __future__ import annotations

import pytest

from periscope_adapters.sandbox._selectors import (
    SelectorError,
    parse_field_selector,
    parse_label_selector,
    selector_from_spec,
)

WEB = {"app": "web", "tier": "frontend", "release": "3"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("app=web", WEB, True),
        ("app==web", WEB, True),
        ("app=db", WEB, False),
        ("app!=db", WEB, True),
        ("app!=web", WEB, False),
        ("missing!=x", WEB, True),
        ("app in (web,db)", WEB, True),
        ("app in (db)", WEB, False),
        ("missing in (x)", WEB, False),
        ("app notin (db,cache)", WEB, True),
        ("missing notin (x)", WEB, True),
        ("app", WEB, True),
        ("missing", WEB, False),
        ("!missing", WEB, True),
        ("!app", WEB, False),
        ("app=web,tier=frontend", WEB, True),
        ("app=web,tier=backend", WEB, False),
        ("  app = web ,  tier in ( frontend , backend )  ", WEB, True),
        ("release>2", WEB, True),
        ("release<3", WEB, False),
        ("app>2", WEB, False),
        ("", WEB, True),
        ("", {}, True),
        ("app=", {"app": ""}, True),
        ("in in (in)", {"in": "in"}, True),
        ("example.com/team=core", {"example.com/team": "core"}, True),
    ],
)
def test_label_selector_matches_like_the_apiserver(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_label_selector(text).matches(labels) is expected


def test_label_selector_prints_canonically_sorted_by_key() -> None:
    selector = parse_label_selector("tier notin (b,a), app=web, !legacy, env in (prod)")
    assert str(selector) == "app=web,env in (prod),!legacy,tier notin (a,b)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!a=b", "unable to parse requirement: found 'a', expected: ',' or 'end of string'"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in b", "unable to parse requirement: found 'b', expected: '('"),
        ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
        ("a in (,,)", "unable to parse requirement: found ')', expected: ',', or identifier"),
        ("a>b", 'values[0]: Invalid value: "b": for \'Gt\', \'Lt\' operators, the value must be an integer'),
    ],
)
def test_label_selector_syntax_errors_use_the_apiserver_wording(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(text)
    assert message in str(caught.value)


def test_invalid_label_key_and_value_are_reported_like_validation_errors() -> None:
    key_error = r'^unable to parse requirement: key: Invalid value: "-a": name part'
    with pytest.raises(SelectorError, match=key_error):
        parse_label_selector("-a=b")
    with pytest.raises(SelectorError, match=r'values\[0\]\[a\]: Invalid value: "-b": a valid label must be'):
        parse_label_selector("a=-b")


def test_empty_value_sets_are_allowed_as_the_apiserver_allows_them() -> None:
    selector = parse_label_selector("x in (foo,,baz),z notin ()")
    assert str(selector) == "x in (,baz,foo),z notin ()"
    assert selector.matches({"x": ""})


def test_workload_selector_spec_with_match_expressions() -> None:
    selector = selector_from_spec(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "release", "operator": "Exists"},
                {"key": "zone", "operator": "NotIn", "values": ["us-east-1a"]},
            ],
        }
    )
    assert selector.matches(WEB)
    assert not selector.matches({**WEB, "canary": "true"})
    assert not selector.matches({"app": "web", "tier": "frontend"})
    assert str(selector) == "app=web,!canary,release,tier in (edge,frontend),zone notin (us-east-1a)"


def test_service_selector_is_a_plain_label_map() -> None:
    selector = selector_from_spec({"app": "web", "matchLabels": "odd-but-valid"})
    assert selector.matches({"app": "web", "matchLabels": "odd-but-valid"})
    assert not selector.matches({"app": "web"})


def test_empty_selector_spec_selects_everything() -> None:
    assert selector_from_spec({}).matches({"any": "thing"})
    assert selector_from_spec({"matchLabels": {}, "matchExpressions": []}).matches({})


def test_selector_spec_rejects_unknown_operators_and_empty_in_sets() -> None:
    with pytest.raises(SelectorError, match='"Gt" is not a valid label selector operator'):
        selector_from_spec({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})
    with pytest.raises(SelectorError, match="values set can't be empty"):
        selector_from_spec({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})


POD = {
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always"},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("metadata.name=web-1", True),
        ("metadata.name==web-1", True),
        ("metadata.name!=web-1", False),
        ("status.phase=Running,spec.nodeName=node-a", True),
        ("status.phase!=Running", False),
        ("status.phase!=Pending,metadata.namespace=default", True),
        ("spec.nodeName=", False),
        ("status.podIP=", True),
        ("", True),
    ],
)
def test_field_selector_matches_pods(text: str, expected: bool) -> None:
    assert parse_field_selector(text).matches(POD) is expected


def test_field_selector_reads_events_and_booleans() -> None:
    event = {
        "involvedObject": {"kind": "Pod", "name": "web-1", "uid": "u-1"},
        "type": "Warning",
        "reason": "BackOff",
    }
    selector = parse_field_selector("involvedObject.kind=Pod,involvedObject.name=web-1,type=Warning")
    assert selector.matches(event)
    assert parse_field_selector("spec.unschedulable=true").matches({"spec": {"unschedulable": True}})
    # A Go bool the JSON omits still reads "false" to the apiserver.
    assert parse_field_selector("spec.unschedulable=false").matches({"spec": {}})


def test_field_selector_keys_let_the_caller_refuse_unsupported_fields() -> None:
    selector = parse_field_selector("metadata.name=a,foo=b,status.phase!=c")
    assert selector.keys() == {"metadata.name", "foo", "status.phase"}


def test_field_selector_values_may_escape_commas_and_equals() -> None:
    selector = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert selector.matches({"metadata": {"name": "a,b=c\\d"}})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metadata.name", "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        (r"metadata.name=a\b", r"invalid field selector: invalid escape sequence: \b"),
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: ="),
    ],
)
def test_field_selector_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message


def test_field_selector_does_not_trim_whitespace() -> None:
    assert parse_field_selector("status.phase = Running").keys() == {"status.phase "}
