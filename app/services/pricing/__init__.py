"""Money in: the price book, repricing after a price change, providers' invoices.

Other layers may call: `prices` (make_price, set_model_price, add_model_price_if_absent),
`repricing.reprice_usage` (with `DEFAULT_BATCH_SIZE`, `RepriceResult`), `invoices`
(record_invoice, reconciliation, ProviderMonth).
"""
