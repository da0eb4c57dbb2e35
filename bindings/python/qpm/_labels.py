"""pandas in, pandas out.

When an input is a pandas Series or DataFrame, results carry its labels:
per-element results become a Series (or a DataFrame of several outputs)
with the input's index, matrices over assets become DataFrames labelled
with the asset names, weights a Series keyed by the asset names.  pandas is
never imported here: a pandas input means pandas is already loaded, and
without pandas inputs results stay numpy arrays (or lists without numpy).
"""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence


def _pd() -> Any:
    return sys.modules.get("pandas")


def is_series(x: Any) -> bool:
    """True for a pandas Series."""
    pd = _pd()
    return pd is not None and isinstance(x, pd.Series)


def is_frame(x: Any) -> bool:
    """True for a pandas DataFrame."""
    pd = _pd()
    return pd is not None and isinstance(x, pd.DataFrame)


def is_pandas(x: Any) -> bool:
    """True for a pandas Series or DataFrame."""
    return is_series(x) or is_frame(x)


def common_index(values: Sequence[Any], names: Sequence[str]) -> Any:
    """The index shared by the Series among ``values`` (None when there is
    no Series).  Series with different indexes raise ValueError: they would
    be combined by position, not by label."""
    idx: Any = None
    first = ""
    for v, nm in zip(values, names):
        if is_series(v):
            if idx is None:
                idx, first = v.index, nm
            elif not v.index.equals(idx):
                raise ValueError("%s and %s are Series with different indexes: align them "
                                 "first (they would be matched by position)" % (nm, first))
    return idx


def series(data: Any, index: Any, name: Optional[str] = None) -> Any:
    """``data`` as a Series on ``index`` (``data`` itself when index is None)."""
    if index is None:
        return data
    return _pd().Series(data, index=index, name=name)


def frame(data: Any, index: Any, columns: Any) -> Any:
    """A 2-D result as a DataFrame (``data`` itself when both labels are None)."""
    if index is None and columns is None:
        return data
    return _pd().DataFrame(data, index=index, columns=columns)


def frame_of(columns: Mapping[str, Any], index: Any) -> Any:
    """A dict of per-element outputs as a DataFrame on ``index`` (the dict
    itself when index is None)."""
    if index is None:
        return columns
    return _pd().DataFrame(dict(columns), index=index)


def column_labels(x: Any) -> Any:
    """The column labels of a DataFrame, or None."""
    return x.columns if is_frame(x) else None


def row_labels(x: Any) -> Any:
    """The index of a Series or DataFrame, or None."""
    return x.index if is_pandas(x) else None


def labels_list(labels: Any) -> Optional[List[Any]]:
    """Labels as a plain list (None stays None)."""
    return None if labels is None else list(labels)


def align(x: Any, labels: Any, name: str, what: str = "assets") -> Any:
    """A Series ``x`` reordered to ``labels`` (the asset names of the
    covariance); it must hold exactly those labels.  Anything else is
    returned unchanged."""
    if labels is None or not is_series(x):
        return x
    if x.index.equals(labels):
        return x
    have, want = set(x.index), set(labels)
    if have != want or len(x.index) != len(labels):
        missing = [k for k in labels if k not in have]
        extra = [k for k in x.index if k not in want]
        raise ValueError("%s is labelled differently from the %s: missing %s, extra %s"
                         % (name, what, missing, extra))
    return x.reindex(labels)


def by_name(x: Any, names: Optional[Sequence[Any]]) -> Any:
    """A DataFrame whose columns are exactly ``names`` in another order,
    reordered to ``names``; anything else unchanged."""
    if names is None or not is_frame(x):
        return x
    cols = list(x.columns)
    if cols != list(names) and len(cols) == len(names) and set(cols) == set(names):
        return x[list(names)]
    return x


def square_by_name(x: Any, names: Optional[Sequence[Any]], name: str) -> Any:
    """A labelled square DataFrame reordered to ``names`` on both axes (it
    must hold exactly those labels); anything else unchanged."""
    if names is None or not is_frame(x):
        return x
    cols = list(x.columns)
    if cols == list(names):
        return x
    if set(cols) != set(names) or len(cols) != len(names):
        raise ValueError("%s is labelled %s, the assets are %s" % (name, cols, list(names)))
    return x.loc[list(names), list(names)]


def series_labels(x: Any) -> Optional[List[Any]]:
    """The index of a Series as a list, or None."""
    return list(x.index) if is_series(x) else None


def asdict(d: Any) -> Dict[str, Any]:
    """A dict of results (from a dict or a DataFrame)."""
    return dict(d) if not is_frame(d) else {k: d[k] for k in d.columns}
