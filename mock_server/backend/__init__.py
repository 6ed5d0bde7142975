"""The imitated Medusa: rules, state, money, ids, list filters, `fields`, fixtures and
Medusa's wording. No HTTP here (nothing imports starlette or uvicorn)."""
