"""The progress-callback adapter (the C side is exercised by the Risk and
Optimizer tests, which pass these callbacks into the library)."""
import ctypes

import pytest

from qpm import _progress


def test_none_and_false_give_no_callback():
    assert _progress.callback(None).cfn is None
    assert _progress.callback(False).cfn is None


def test_callable_is_called_and_can_cancel():
    seen = []
    cb = _progress.callback(lambda d: (seen.append(d), d >= 0.5)[1])
    assert cb.cfn(None, 0.25) == 0
    assert cb.cfn(None, 0.5) == 1
    assert seen == [0.25, 0.5]
    cb.reraise()  # nothing raised


def test_exception_stops_and_is_reraised():
    def boom(done):
        raise KeyError("stop here")
    cb = _progress.callback(boom)
    assert cb.cfn(None, 0.1) == 1
    assert cb.cfn(None, 0.2) == 1  # stays stopped
    with pytest.raises(KeyError):
        cb.reraise()


def test_text_bar_and_true(capsys):
    bar = _progress._TextBar("mc")
    for d in (0.0, 0.5, 0.5, 1.0):
        assert bar(d) is False
    bar.close()
    err = capsys.readouterr().err
    assert "mc [" in err and "100%" in err
    with _progress.callback(True, "x") as cb:
        assert isinstance(cb.cfn, _progress.PROGRESS_FN)
        assert cb.cfn(None, 1.0) == 0


def test_bad_progress_argument():
    with pytest.raises(TypeError):
        _progress.callback(3)


def test_cfunctype_signature():
    assert _progress.PROGRESS_FN._restype_ is ctypes.c_int
    assert _progress.PROGRESS_FN._argtypes_ == (ctypes.c_void_p, ctypes.c_double)
