// DKIM
