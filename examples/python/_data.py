"""Reading the examples' CSV files: with pandas when it is installed, with
the csv module otherwise (the examples need numpy either way).

The data sets shipped with the repository live in examples/data/ (see its
README.md): daily prices of eight coins and a BTC option chain snapshot.
"""
import csv
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "data"
PRICES = DATA / "crypto_prices.csv"
CHAIN = DATA / "btc_option_chain.csv"


def pandas():
    """The pandas module, or None when it is not installed."""
    try:
        import pandas as pd
    except ImportError:
        return None
    return pd


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_matrix(path):
    """(row labels or None, column names, T x N float64 array) of a numeric
    CSV with a header row.  A first column that is not numeric (the date
    column pandas writes with ``to_csv()``) becomes the row labels."""
    pd = pandas()
    if pd is not None:
        df = pd.read_csv(path, float_precision="round_trip")
        first = df.columns[0]
        labels = None
        if not pd.api.types.is_numeric_dtype(df[first]):
            labels = [str(x) for x in df[first]]
            df = df.drop(columns=first)
        return labels, [str(c) for c in df.columns], df.to_numpy(dtype=np.float64)
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    header, body = rows[0], rows[1:]
    labels = None
    if body and not _is_number(body[0][0]):
        labels = [r[0] for r in body]
        header, body = header[1:], [r[1:] for r in body]
    X = np.array([[float(x) if x not in ("", "nan") else np.nan for x in r] for r in body],
                 dtype=np.float64).reshape(len(body), len(header))
    return labels, header, X


def read_rows(path):
    """The rows of a CSV with a header row, as dicts of strings (empty
    string for an empty field)."""
    pd = pandas()
    if pd is not None:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        return df.to_dict("records")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
