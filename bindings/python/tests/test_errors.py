"""qpm_status -> exception mapping."""
import pickle

import pytest

import qpm
from qpm import _errors
from qpm.core import Status

USAGE = {1: qpm.QpmNullError, 2: qpm.QpmInvalidError, 3: qpm.QpmNonFiniteError,
         4: qpm.QpmSizeError, 5: qpm.QpmKeyError, 6: qpm.QpmRangeError, 8: qpm.QpmStateError}
NUMERICAL = {200: qpm.QpmNoConvergeError, 201: qpm.QpmSingularError,
             202: qpm.QpmNotPSDError, 203: qpm.QpmArbitrageError,
             204: qpm.QpmInfeasibleError}


def test_every_status_maps_to_its_class():
    for code, cls in USAGE.items():
        assert _errors.exception_class(code) is cls
        assert issubclass(cls, qpm.QpmUsageError) and issubclass(cls, ValueError)
    for code, cls in NUMERICAL.items():
        assert _errors.exception_class(code) is cls
        assert issubclass(cls, qpm.QpmNumericalError) and issubclass(cls, ArithmeticError)
    assert _errors.exception_class(7) is qpm.QpmUnsupportedError
    assert issubclass(qpm.QpmUnsupportedError, NotImplementedError)
    assert _errors.exception_class(100) is qpm.QpmMemoryError
    assert issubclass(qpm.QpmMemoryError, MemoryError)
    assert _errors.exception_class(101) is qpm.QpmThreadError
    assert _errors.exception_class(102) is qpm.QpmCancelledError
    # unknown codes fall back by range
    assert _errors.exception_class(42) is qpm.QpmUsageError
    assert _errors.exception_class(250) is qpm.QpmNumericalError
    assert _errors.exception_class(150) is qpm.QpmError
    for s in Status:
        if s:
            assert issubclass(_errors.exception_class(s), qpm.QpmError)


def test_error_carries_status_name_and_message():
    e = _errors.make_error(2, "strike[17] = -5: must be > 0")
    assert isinstance(e, qpm.QpmInvalidError) and isinstance(e, ValueError)
    assert e.status == 2 and e.name == "QPM_E_INVALID"
    assert e.message == "strike[17] = -5: must be > 0"
    assert str(e) == "QPM_E_INVALID: strike[17] = -5: must be > 0"
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is type(e) and e2.message == e.message and e2.status == 2


def test_check_passes_ok_and_raises_otherwise():
    _errors.check(0)
    with pytest.raises(qpm.QpmMemoryError) as ei:
        _errors.check(100)
    assert ei.value.name == "QPM_E_NOMEM"
    # the message comes from qpm_last_error() when not given
    qpm.clear_error()
    with pytest.raises(qpm.QpmArbitrageError) as ei:
        _errors.check(203)
    assert ei.value.message == ""
