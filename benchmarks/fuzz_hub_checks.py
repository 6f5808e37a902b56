"""A schemathesis check of ours, loaded with SCHEMATHESIS_HOOKS by benchmarks/fuzz_hub_api.py.

Every refusal the hub gives says what is wrong: a 4xx body is JSON with a ``code`` and a
``message`` a person can act on, and a 422 names each field at fault with its reason (the
hub's rule: bad input gets a clear error naming the field and the reason).
"""

from __future__ import annotations

import schemathesis


@schemathesis.check
def rejection_names_the_problem(ctx, response, case):
    if not 400 <= response.status_code < 500:
        return None
    try:
        body = response.json()
    except Exception:
        raise AssertionError(f"{response.status_code} without a JSON body: "
                                   f"{response.text[:200]!r}") from None
    if not isinstance(body, dict) or not str(body.get("code") or "").strip() \
            or len(str(body.get("message") or "").strip()) < 10:
        raise AssertionError(f"{response.status_code} body lacks code/message: "
                                   f"{str(body)[:300]}")
    if response.status_code == 422:
        fields = body.get("fields")
        if not fields or not all(isinstance(f, dict) and str(f.get("field") or "").strip()
                                 and str(f.get("reason") or "").strip() for f in fields):
            raise AssertionError(f"422 does not name each field with a reason: "
                                       f"{str(body)[:300]}")
    return True
