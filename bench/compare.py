"""The breakdowns of a sipas report, computed the way an analyst otherwise
would: from the exported ballot CSV, in pandas and in DuckDB.

    python compare.py EXPORT.csv LIKERT_CODES FIELD_QUESTION ROUNDS [BY_QUESTION]

LIKERT_CODES are the five-level questions (comma-separated); FIELD_QUESTION the
overall-satisfaction question broken down by field. Prints one JSON line with
the median seconds of each tool (reading the CSV included) and checksums, so
the caller can see both computed the same counts. With BY_QUESTION, also the
ad-hoc breakdown of the citizens' five-level answers by unit × the answer to it.
"""

import json
import statistics
import sys
import time


def pandas_run(path, likert, overall):
    import pandas as pd

    df = pd.read_csv(path, encoding="utf-8-sig", dtype={c: "Int8" for c in likert}, keep_default_na=True, low_memory=False)
    # Per unit × question: counts of each level, n, satisfied share (4–5).
    long = df.melt(id_vars=["unit"], value_vars=likert, var_name="q", value_name="v").dropna(subset=["v"])
    # 0 is "không biết": missing, left out of every denominator (METHOD §2).
    long = long[long["v"].between(1, 5)]
    counts = long.groupby(["unit", "q", "v"]).size().unstack(fill_value=0)
    n = counts.sum(axis=1)
    satisfied = (counts.get(4, 0) + counts.get(5, 0)) / n
    # Per unit × field: distribution of the overall question.
    by_field = df[df[overall].between(1, 5)].groupby(["unit", "field", overall]).size()
    # Responses per unit × group × field.
    cells = df.groupby(["unit", "group", "field"], dropna=False).size()
    return int(counts.values.sum()), int(by_field.sum()), int(cells.sum()), float(satisfied.mean())


def duckdb_run(path, likert, overall):
    import duckdb

    con = duckdb.connect()
    types = ", ".join(f"'{c}': 'TINYINT'" for c in likert)
    con.execute(f"CREATE TEMP TABLE b AS SELECT * FROM read_csv('{path}', header=true, types={{{types}}})")
    cols = ", ".join(f'"{c}"' for c in likert)
    counts = con.execute(
        f"""SELECT unit, q, count(*) AS n, sum(CASE WHEN v >= 4 THEN 1 ELSE 0 END) AS sat,
                   sum(CASE WHEN v = 1 THEN 1 ELSE 0 END), sum(CASE WHEN v = 2 THEN 1 ELSE 0 END),
                   sum(CASE WHEN v = 3 THEN 1 ELSE 0 END), sum(CASE WHEN v = 4 THEN 1 ELSE 0 END),
                   sum(CASE WHEN v = 5 THEN 1 ELSE 0 END)
            FROM (UNPIVOT b ON {cols} INTO NAME q VALUE v) WHERE v BETWEEN 1 AND 5 GROUP BY unit, q"""
    ).fetchall()
    by_field = con.execute(
        f'SELECT unit, field, "{overall}", count(*) FROM b WHERE "{overall}" BETWEEN 1 AND 5 GROUP BY ALL'
    ).fetchall()
    cells = con.execute("SELECT unit, \"group\", field, count(*) FROM b GROUP BY ALL").fetchall()
    total = sum(r[2] for r in counts)
    share = statistics.mean(r[3] / r[2] for r in counts)
    return int(total), int(sum(r[3] for r in by_field)), int(sum(r[3] for r in cells)), float(share)


def duckdb_cross(path, likert, by):
    """Per unit × answer to `by` × five-level question: the count of each level
    (the counts every index of a sipas breakdown row is computed from)."""
    import duckdb

    con = duckdb.connect()
    types = ", ".join(f"'{c}': 'TINYINT'" for c in likert)
    con.execute(f"CREATE TEMP TABLE b AS SELECT * FROM read_csv('{path}', header=true, types={{{types}}})")
    cols = ", ".join(f'"{c}"' for c in likert)
    rows = con.execute(
        f"""SELECT unit, by_answer, q, v, count(*) FROM
              (UNPIVOT (SELECT unit, "{by}" AS by_answer, {cols} FROM b WHERE "group" = 'citizens')
               ON {cols} INTO NAME q VALUE v)
            WHERE v BETWEEN 1 AND 5 GROUP BY ALL"""
    ).fetchall()
    return int(sum(r[4] for r in rows)), len(rows)


def timed(fn, rounds, *args):
    times, out = [], None
    for _ in range(rounds):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main():
    path, likert, overall, rounds = sys.argv[1], sys.argv[2].split(","), sys.argv[3], int(sys.argv[4])
    p_time, p_out = timed(pandas_run, rounds, path, likert, overall)
    d_time, d_out = timed(duckdb_run, rounds, path, likert, overall)
    out = {"pandas_s": p_time, "duckdb_s": d_time, "pandas": p_out, "duckdb": d_out}
    if len(sys.argv) > 5:
        c_time, c_out = timed(duckdb_cross, rounds, path, likert, sys.argv[5])
        out.update({"duckdb_cross_s": c_time, "duckdb_cross": c_out})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
