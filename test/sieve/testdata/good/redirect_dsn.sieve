require ["redirect-dsn","redirect-deliverby","copy"];
redirect :notify "SUCCESS,FAILURE" :ret "HDRS" "a@b.c";
redirect :bytimerelative 600 :bymode "notify" :bytrace "a@b.c";
redirect :bytimeabsolute "2030-01-02T03:04:05Z" :copy "x@y.z";
