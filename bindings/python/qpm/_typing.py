"""Type aliases of the public signatures.

``ArrayLike`` is what an array argument accepts (a scalar, a sequence, a
numpy array, a pandas Series); ``FloatArray`` is a float64 numpy array
result.  With numpy installed they are numpy.typing's; without it they are
plain aliases, so the package imports either way.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence, Union

if TYPE_CHECKING:  # pragma: no cover - seen by type checkers only
    import numpy as np
    import numpy.typing as npt

    ArrayLike = npt.ArrayLike
    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int32]
    UIntArray = npt.NDArray[np.uint64]
else:
    try:
        import numpy as np
        import numpy.typing as npt
        ArrayLike = npt.ArrayLike
        FloatArray = npt.NDArray[np.float64]
        IntArray = npt.NDArray[np.int32]
        UIntArray = npt.NDArray[np.uint64]
    except ImportError:  # pragma: no cover - exercised by a subprocess test
        ArrayLike = Any
        FloatArray = Any
        IntArray = Any
        UIntArray = Any

#: A real number argument.
Real = Union[float, int]
#: An option type: ``CALL`` (1) / ``PUT`` (-1) or "call"/"put" ("c"/"p").
OptionType = Union[int, str]
#: Option types: one, or one per element.
OptionTypes = Union[int, str, Sequence[Union[int, str]], "ArrayLike"]

__all__ = ["ArrayLike", "FloatArray", "IntArray", "UIntArray", "Real", "OptionType",
           "OptionTypes"]
