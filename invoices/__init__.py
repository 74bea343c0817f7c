"""Invoices: drafts from deals, gapless numbering, PDFs, payments (see README.md)."""
