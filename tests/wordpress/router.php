<?php
/**
 * Router for `php -S IP:PORT -t /usr/share/wordpress router.php`: existing static files are served
 * as they are, existing PHP scripts run, everything else goes to index.php (pretty permalinks, /wp-json/).
 * With WPARCHIVE_REWRITE=0 (plain-permalink sites) there is no rewriting, as on a server without
 * WordPress's .htaccess: a path that is not a file answers 404, so /wp-json/ 404s.
 */

$wparchive_root = rtrim($_SERVER['DOCUMENT_ROOT'], '/');
$wparchive_path = urldecode((string) parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
$wparchive_file = realpath($wparchive_root . $wparchive_path);
$wparchive_script = $wparchive_root . '/index.php';

if ($wparchive_file !== false && strpos($wparchive_file, $wparchive_root) === 0) {
	if (is_dir($wparchive_file) && is_file($wparchive_file . '/index.php')) {
		$wparchive_file .= '/index.php';
	}
	if (is_file($wparchive_file) && substr($wparchive_file, -4) !== '.php') {
		return false; // static: PHP's server serves and logs it
	}
	if (is_file($wparchive_file)) {
		$wparchive_script = $wparchive_file;
	}
}

if ($wparchive_script === $wparchive_root . '/index.php' && $wparchive_path !== '/' && $wparchive_path !== '/index.php'
	&& getenv('WPARCHIVE_REWRITE') === '0') {
	http_response_code(404);
	header('Content-Type: text/html; charset=iso-8859-1');
	echo "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n"
		. "<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n";
	$wparchive_script = null;
}

// PHP's server does not log requests a router handles: log them in its format, as the very last
// shutdown step, so the line is written before the connection closes and the client sees the end.
register_shutdown_function(function () {
	register_shutdown_function(function () {
		// The User-Agent last, quoted: tests tell concurrent clients apart by it.
		$agent = str_replace('"', "'", (string) ($_SERVER['HTTP_USER_AGENT'] ?? ''));
		$line = sprintf("[%d] [%s] %s:%s [%d]: %s %s \"%s\"\n", getmypid(), date('D M j H:i:s Y'), $_SERVER['REMOTE_ADDR'],
			$_SERVER['REMOTE_PORT'], http_response_code(), $_SERVER['REQUEST_METHOD'], $_SERVER['REQUEST_URI'], $agent);
		file_put_contents('php://stderr', $line);
	});
});

if ($wparchive_script === null) {
	return true;
}
$_SERVER['SCRIPT_NAME']     = substr($wparchive_script, strlen($wparchive_root));
$_SERVER['PHP_SELF']        = $_SERVER['SCRIPT_NAME'];
$_SERVER['SCRIPT_FILENAME'] = $wparchive_script;
chdir(dirname($wparchive_script));
require $wparchive_script;
