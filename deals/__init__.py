"""Deals, products and line items, invoices (to come)."""
