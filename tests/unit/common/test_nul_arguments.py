"""Text holding a NUL character is refused at the entrypoint, naming where, never echoing it: PostgreSQL
cannot store it (found by fuzzing, where it became an internal error)."""
import pytest

from anchang_common.entrypoints import bind_arguments
from anchang_common.errors import ValidationError


class Service:
    def method(self, staff_id, profile=None):
        pass


@pytest.mark.parametrize("args, kwargs, field", [
    (("a\x00b",), {}, "staff_id"),
    (("s1",), {"profile": {"name": "\x00"}}, "profile.name"),
    (("s1",), {"profile": {"notes": ["ok", "x\x00"]}}, "profile.notes[1]"),
    (("s1",), {"profile": {"13800138000\x00": 1}}, "profile"),
])
def test_nul_in_any_text_is_a_validation_error_naming_the_field(args, kwargs, field):
    with pytest.raises(ValidationError) as raised:
        bind_arguments(Service.method, args, kwargs)
    assert raised.value.errors == {field: "must not contain the NUL character"}
    assert "13800138000" not in str(raised.value)


def test_text_without_nul_binds():
    assert bind_arguments(Service.method, ("s1",), {"profile": {"name": "张三"}}) == {
        "staff_id": "s1", "profile": {"name": "张三"}}
