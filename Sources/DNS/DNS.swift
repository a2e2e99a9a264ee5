// DNS
