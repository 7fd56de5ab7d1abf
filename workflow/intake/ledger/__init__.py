"""The ledger (整改台账): read a workbook, parse its cells, plan the import, apply it, export."""
