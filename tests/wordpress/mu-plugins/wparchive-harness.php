<?php
/**
 * Plugin Name: wparchive test harness
 * Description: Closes REST the way plugins do (when WPARCHIVE_REST_CLOSED), prints review JSON-LD
 * from post meta, lets a cookie pick the theme for one request, and keeps WordPress offline.
 */

// WordPress must never call out: the harness runs without a network.
add_filter('pre_http_request', function ($pre, $args, $url) {
	$host = wp_parse_url($url, PHP_URL_HOST);
	return in_array($host, array('127.0.0.1', 'localhost'), true) || strpos((string) $host, '127.') === 0
		? $pre
		: new WP_Error('wparchive_offline', 'The test harness blocks outgoing HTTP');
}, 10, 3);
add_filter('automatic_updater_disabled', '__return_true');
add_filter('pre_site_transient_update_core', '__return_null');

if (defined('WPARCHIVE_REST_CLOSED') && WPARCHIVE_REST_CLOSED) {
	// As "Disable REST API"-style plugins do: anonymous REST calls get 401 rest_login_required.
	add_filter('rest_authentication_errors', function ($result) {
		if (!empty($result) || is_user_logged_in()) {
			return $result;
		}
		return new WP_Error('rest_login_required', 'REST API restricted to authenticated users.', array('status' => 401));
	}, 99);
	// ...and stop advertising the API (head link, Link header and the per-post alternate link).
	remove_action('wp_head', 'rest_output_link_wp_head', 10);
	remove_action('template_redirect', 'rest_output_link_header', 11);
}

add_action('wp_head', function () {
	if (!is_singular()) {
		return;
	}
	$jsonld = get_post_meta(get_queried_object_id(), '_wparchive_jsonld', true);
	if ($jsonld) {
		echo '<script type="application/ld+json">' . $jsonld . "</script>\n";
	}
});

// Themes of the tests' own (tests/wordpress/themes): a root beside Debian's, nothing written there.
// WordPress stores a theme's root as an absolute path when the theme is switched to; a site seeded
// from another checkout (a reused database) would point at that checkout's folder, so the root of
// our own themes is always this checkout's.
$wparchive_themes = dirname(__DIR__) . '/themes';
register_theme_directory($wparchive_themes);
foreach (array('stylesheet_root' => 'stylesheet', 'template_root' => 'template') as $wparchive_root => $wparchive_of) {
	add_filter("pre_option_$wparchive_root", function ($pre) use ($wparchive_themes, $wparchive_of) {
		$theme = get_option($wparchive_of);
		return is_string($theme) && $theme !== '' && is_dir("$wparchive_themes/$theme") ? $wparchive_themes : $pre;
	});
}

// A cookie renders one request with another installed theme, so fixtures can cover more themes
// without changing the site other tests see.
if (isset($_COOKIE['wparchive_theme']) && preg_match('/^twenty[a-z]+$/', $_COOKIE['wparchive_theme'])) {
	$wparchive_theme = $_COOKIE['wparchive_theme'];
	if (is_dir(get_theme_root() . '/' . $wparchive_theme)) {
		add_filter('pre_option_template', function () use ($wparchive_theme) {
			return $wparchive_theme;
		});
		add_filter('pre_option_stylesheet', function () use ($wparchive_theme) {
			return $wparchive_theme;
		});
	}
}

// A public custom post type with comments, in REST (its own collection) and in the core sitemap,
// as real sites register them (events, recipes, screenings).
add_action('init', function () {
	register_post_type('wpa_screening', array(
		'label' => 'Screenings', 'public' => true, 'show_in_rest' => true, 'rest_base' => 'screenings',
		'has_archive' => true, 'rewrite' => array('slug' => 'screenings'),
		'supports' => array('title', 'editor', 'author', 'comments', 'excerpt'),
	));
});
