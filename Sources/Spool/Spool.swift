// Spool module
