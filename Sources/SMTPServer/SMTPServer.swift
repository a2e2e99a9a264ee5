// SMTPServer module
