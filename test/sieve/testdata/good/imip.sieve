require ["vnd.cyrus.imip","variables"];
processimip :invitesonly :outcome "o" :errstr "e";
processimip :updatesonly :deletecanceled;
processimip :calendarid "cal";
