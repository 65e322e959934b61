"""YQL's Math UDFs on DuckDB (registered in yql_udfs): libm's functions on Doubles, as
math_ir.h in yql/essentials/udfs/common/math (ydb-platform/ydb) wraps them: sqrt(-1) is
NaN; Log, Log2 and Log10 give NaN for any value <= 0, 0 too; Asinh is asin, as math_ir.h
has it. Round's second argument is the power of ten rounded to (-2: hundredths), and a half
rounds up (-2.5 to -2), RoundToDecimal in lib/round.h. Mod and Rem take Int64s and give
NULL for a zero divisor, Mod with the divisor's sign, Rem with the dividend's.
"""

from __future__ import annotations

from yt_pipeline.yql_udf_calls import Functions, double, simple

# -- Math: libm on Doubles ----------------------------------------------------------------

MATH: Functions = {
    "Pi": (simple("pi()"), 0, 0, ()),
    "E": (simple("exp(CAST(1 AS DOUBLE))"), 0, 0, ()),
    "Eps": (simple("CAST(2.220446049250313e-16 AS DOUBLE)"), 0, 0, ()),
    "IsNaN": (simple(f"isnan({double('{0}')})"), 1, 1, ()),
    "IsInf": (simple(f"isinf({double('{0}')})"), 1, 1, ()),
    "IsFinite": (simple(f"isfinite({double('{0}')})"), 1, 1, ()),
    "Pow": (simple(f"pow({double('{0}')}, {double('{1}')})"), 2, 2, ()),
    "Atan2": (simple(f"atan2({double('{0}')}, {double('{1}')})"), 2, 2, ()),
    # libm's fmod, the dividend's sign kept: DuckDB's % of Doubles (its fmod() floors)
    "Fmod": (simple(f"({double('{0}')} % {double('{1}')})"), 2, 2, ()),
    "Round": (simple(f"yql_math_round({double('{0}')}, CAST(COALESCE({{1}}, 0) AS INTEGER))"),
              1, 2, ()),
    "Rint": (simple(f"round_even({double('{0}')}, 0)"), 1, 1, ()),
    "Sigmoid": (simple(f"1 / (1 + exp(-{double('{0}')}))"), 1, 1, ()),
    "Mod": (simple("yql_math_mod({0}, {1}, 'Mod')"), 2, 2, ()),
    "Rem": (simple("yql_math_mod({0}, {1}, 'Rem')"), 2, 2, ()),
}
for _yql, _duckdb in (("Abs", "abs"), ("Fabs", "abs"), ("Acos", "acos"), ("Asin", "asin"),
                      ("Atan", "atan"), ("Cbrt", "cbrt"), ("Ceil", "ceil"), ("Cos", "cos"),
                      ("Cosh", "cosh"), ("Exp", "exp"), ("Floor", "floor"), ("Sin", "sin"),
                      ("Sinh", "sinh"), ("Sqrt", "sqrt"), ("Tan", "tan"), ("Tanh", "tanh"),
                      ("Trunc", "trunc"), ("Lgamma", "lgamma"), ("Tgamma", "gamma"),
                      ("Asinh", "asin")):  # math_ir.h: XX(Asinh, asin), YQL's value
    MATH[_yql] = (simple(f"{_duckdb}({double('{0}')})"), 1, 1, ())
for _yql, _duckdb in (("Log", "ln"), ("Log2", "log2"), ("Log10", "log10")):
    # POSITIVE_SINGLE_ARG_FUNCS: NaN for a value <= 0, where libm gives -inf for 0
    MATH[_yql] = (simple(f"(CASE WHEN {double('{0}')} <= 0 THEN CAST('nan' AS DOUBLE) "
                           f"ELSE {_duckdb}({double('{0}')}) END)"), 1, 1, ())

#: the macros Math's rewrites call, defined on every connection running YQL
#: (yql_semantics.connect). yql_math_round is lib/round.h's RoundToDecimal, floor(v / 10^p
#: + 0.5) * 10^p, there in long double: a negative p multiplies by 10^-p and divides back,
#: which gives the long double's value rounded to a Double (0.3 for Round(0.29, -1), where
#: 3 * 0.1 is 0.30000000000000004); a value that many times is an integer (2^52 and over,
#: or inf) is its own rounding, and a 10^p beyond a Double's range rounds any finite value
#: to 0, as 10^p, a long double there, does. yql_math_mod is round.h's Mod and Rem on
#: Int64s: a Double or Float argument fails, as YQL's type check of TOptional<i64>(i64, i64)
MATH_MACROS = (
    "CREATE OR REPLACE MACRO yql_math_round(v, p) AS CASE "
    "WHEN p > 308 THEN CASE WHEN isfinite(v) THEN CAST(0 AS DOUBLE) ELSE v END "
    "WHEN p >= 0 THEN floor(v / pow(10, p) + 0.5) * pow(10, p) "
    "WHEN abs(v) * pow(10, -p) >= 4503599627370496 THEN v "
    "ELSE floor(v * pow(10, -p) + 0.5) / pow(10, -p) END",
    "CREATE OR REPLACE MACRO yql_math_mod(a, m, name) AS CASE "
    "WHEN typeof(a) IN ('DOUBLE', 'FLOAT') OR typeof(a) LIKE 'DECIMAL%' "
    "OR typeof(m) IN ('DOUBLE', 'FLOAT') OR typeof(m) LIKE 'DECIMAL%' "
    "THEN error('YQL: Math::' || name || ' takes integers (Int64), not a Double') "
    "WHEN CAST(m AS BIGINT) = 0 THEN NULL "
    "WHEN name = 'Mod' AND CAST(a AS BIGINT) % CAST(m AS BIGINT) <> 0 "
    "AND (CAST(a AS BIGINT) % CAST(m AS BIGINT) < 0) <> (CAST(m AS BIGINT) < 0) "
    "THEN CAST(a AS BIGINT) % CAST(m AS BIGINT) + CAST(m AS BIGINT) "
    "ELSE CAST(a AS BIGINT) % CAST(m AS BIGINT) END",
)
