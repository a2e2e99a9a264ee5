// SMTPCore module
