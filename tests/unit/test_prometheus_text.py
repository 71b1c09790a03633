"""Picking samples out of the Prometheus text format (what Karpenter's controller exports)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from periscope_adapters.sandbox._demo_karpenter import offering_prices
from periscope_core.domain.prometheus_text import Sample, samples

PRICE = "karpenter_cloudprovider_instance_type_offering_price_estimate"


def test_labels_values_comments_and_timestamps() -> None:
    text = (
        "# HELP x a help line\n# TYPE x gauge\n"
        'x{a="1",b="two words"} 3.5\n'
        'x{a="es\\"caped\\\\",} 4 1700000000000\n'
        "y 7\n"
        'x{broken="unterminated} 1\n'
        "z NaN\n"
        "w not-a-number\n"
    )
    assert samples(text) == [
        Sample("x", {"a": "1", "b": "two words"}, 3.5),
        Sample("x", {"a": 'es"caped\\'}, 4.0),
        Sample("y", {}, 7.0),
    ]
    assert [s.name for s in samples(text, names=frozenset({"y"}))] == ["y"]


def test_the_demo_controller_s_price_gauges_read_back() -> None:
    prices = samples(offering_prices(), names=frozenset({PRICE}))
    assert len(prices) == 4 * 3 * 2
    spot = next(p for p in prices if p.labels == {"capacity_type": "spot", "instance_type": "m6i.large",
                                                  "region": "us-east-1", "zone": "us-east-1a"})  # fmt: skip
    assert 0 < spot.value < 0.096


@given(st.text(max_size=200))
def test_any_text_reads_without_raising(text: str) -> None:
    assert all(isinstance(s, Sample) for s in samples(text))
