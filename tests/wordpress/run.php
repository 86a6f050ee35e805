<?php
/** Runs the PHP code given on stdin with one test site's WordPress loaded (WPARCHIVE_HOST=ip:port). */

require __DIR__ . '/bootstrap.php';
wparchive_load_wordpress();
$wparchive_code = stream_get_contents(STDIN);
$wparchive_code = preg_replace('/^\s*<\?php/', '', $wparchive_code);
eval($wparchive_code);
