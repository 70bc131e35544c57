"""Money in: the price book, repricing after a price change, providers' invoices."""
