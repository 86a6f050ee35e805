<?php
/**
 * Shared start for the harness's PHP CLI scripts: fakes the request host so Debian's wp-config.php
 * picks /etc/wordpress/config-<ip>.php and WP_HOME follows the server's host:port.
 */

function wparchive_fake_request(string $host): void {
	$_SERVER['HTTP_HOST']       = $host;
	$_SERVER['SERVER_NAME']     = preg_replace('/:.*/', '', $host);
	$_SERVER['SERVER_PORT']     = strpos($host, ':') !== false ? substr($host, strpos($host, ':') + 1) : '80';
	$_SERVER['REQUEST_URI']     = '/';
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
}

function wparchive_env(string $name): string {
	$value = getenv($name);
	if ($value === false || $value === '') {
		fwrite(STDERR, "missing environment variable $name\n");
		exit(2);
	}
	return $value;
}

function wparchive_load_wordpress(): void {
	wparchive_fake_request(wparchive_env('WPARCHIVE_HOST'));
	require_once '/usr/share/wordpress/wp-load.php';
}
