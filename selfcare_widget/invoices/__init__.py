"""Invoices as the customer sees them: lines grouped by kind, VAT recap, the PDF and its QR code.

``summary`` groups lines and sums VAT (shared by the detail fragment and the PDF); ``pdf`` renders
the invoice with fpdf2; ``spayd`` builds the Czech "QR Platba" payment string.
"""
