"""Invoice reconciliation: recordInvoice and the reconciliation report."""
