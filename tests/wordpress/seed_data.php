<?php
/**
 * Fixed content for the seed: users, terms, the "Her" review, rating posts and decoys, text pools.
 * Pure data; seed_content.php turns it into posts and comments.
 */

const WPARCHIVE_USERS = array(
	array('login' => 'jreeve', 'name' => 'Jordan Reeve', 'url' => 'https://cinemaverdict.example', 'role' => 'editor'),
	array('login' => 'mkowalski', 'name' => 'Maria Kowalski', 'url' => 'https://mariawrites.example', 'role' => 'author'),
	array('login' => 'tokafor', 'name' => 'Tunde Okafor', 'url' => '', 'role' => 'author'),
	array('login' => 'lchen', 'name' => 'Li Chen', 'url' => 'https://lichen.example/blog', 'role' => 'author'),
);

// name => parent name ('' = top level).
const WPARCHIVE_CATEGORIES = array(
	'Film Reviews' => '', 'Documentaries' => 'Film Reviews', 'Television' => '', 'Books' => '',
	'Music' => '', 'Food & Drink' => '', 'Travel' => '', 'Essays' => '',
);

const WPARCHIVE_TAGS = array(
	'drama', 'sci-fi', 'comedy', 'horror', 'thriller', 'animation', 'romance', 'classic', 'festival',
	'streaming', 'soundtrack', 'director’s cut', 'Spike Jonze', 'Joaquin Phoenix', 'recipes', 'Italy',
	'road trip', 'long read', 'interview', 'listicle',
);

const WPARCHIVE_SUBJECTS = array(
	'Ocean\'s Eleven', 'Pan\'s Labyrinth', 'Tom & Jerry', 'The Godfather', 'Spirited Away', 'Alien',
	'Amélie', 'The Third Man', 'Casablanca', 'Jaws', 'Heat', 'Fargo', 'Zodiac', 'Up', 'Ratatouille',
	'Rear Window', 'Vertigo', 'Psycho', 'Chinatown', 'Network', 'Tampopo', 'Stalker', 'Solaris',
	'Metropolis', 'Nosferatu', 'Rashomon', 'Ikiru', 'Persona', 'The Seventh Seal', '8½',
	'La Dolce Vita', 'Cinema Paradiso', 'Il Postino', 'Roman Holiday', 'The Leopard', 'Bicycle Thieves',
	'The Wire', 'Twin Peaks', 'Fleabag', 'Chernobyl', 'Middlemarch', 'Dune', 'Beloved', 'Kind of Blue',
	'OK Computer', 'Blue Lines', 'Naples on foot', 'Sunday ragù', 'Night trains', 'Slow cinema',
);

const WPARCHIVE_TITLE_FORMATS = array('Review: %s', 'Notes on %s', '%s, revisited');

const WPARCHIVE_SENTENCES = array(
	'The opening shot lingers longer than you expect, and that patience pays off.',
	'It&#8217;s the kind of film that rewards a second viewing.',
	'Critics were split, but audiences kept coming back week after week.',
	'The score does a lot of the heavy lifting &amp; never overstays its welcome.',
	'Some scenes feel rushed; others breathe in a way few studio films dare to.',
	'I watched it twice in one weekend &#8212; once alone, once with friends.',
	'The supporting cast is where the real surprises are.',
	'There is a quiet joke in the second act that most people miss.',
	'Its pacing won&#8217;t suit everyone, and that&#8217;s fine.',
	'The production design is lush without ever feeling like a museum piece.',
	'We argued about the ending all the way home.',
	'Few adaptations manage to keep the spirit of the book &amp; still surprise its readers.',
	'The dialogue is sharp, sometimes too sharp for its own good.',
	'Every frame looks like a painting you would hang in a hallway.',
	'By the final reel the whole theatre had gone silent.',
	'It is not perfect, but it is honest, and honesty is rare.',
	'The director said in an interview that the story began as a dream.',
	'You can feel the budget in every set piece&hellip; and the restraint in every close-up.',
	'This is a film about memory as much as about people.',
	'The kitchen scenes alone are worth the ticket.',
	'I still hum the main theme while cooking on Sundays.',
	'Half the fun is spotting the references to older films.',
	'The lead performance carries the weaker middle stretch.',
	'Nothing here is new, yet it all feels fresh.',
);

const WPARCHIVE_COMMENT_SENTENCES = array(
	'Great write-up, thanks!', 'I completely disagree about the ending.',
	'Saw it last week and loved every minute.', 'You&#8217;ve convinced me to give it another chance.',
	'The soundtrack is what stayed with me.', 'Did anyone else notice the reflection in the window scene?',
	'Fair point, though I think the book is better.', 'Haha, exactly what I thought.',
	'This made me want to rewatch it tonight.', 'I&#8217;m not sure I agree, but I enjoyed reading this.',
	'Which cut did you watch?', 'The cinematography is just stunning.',
	'My favourite scene is the one on the train.', 'Thanks for the recommendation!',
	'Tom &amp; I argued about this for hours.', 'Interesting take &#8212; never thought of it that way.',
	'Too long for me, honestly.', 'The supporting cast deserved more screen time.',
	'Same here! 🙂', 'Can you review the sequel next?', 'It&#8217;s a classic for a reason.',
	'I watched it with my kids and they loved it.', 'The subtitles on the streaming version are awful.',
	'Such a thoughtful piece, thank you.',
);

const WPARCHIVE_READERS = array(
	array('Alice Moreno', 'https://alicemoreno.example'), array('Bob Lindqvist', ''),
	array('Chiara Conti', 'https://chiaraconti.wordpress.example'), array('Dev Patel-Shah', ''),
	array('Emeka N.', 'http://emeka.example/blog/'), array('Fiona O&#8217;Brien', ''),
	array('Gustavo', 'https://gustavo.example'), array('Hana Kim', ''), array('Ivan Petrov', ''),
	array('Jules', 'https://jules.example'), array('Kofi Mensah', ''), array('Lena Vogel', 'https://lenavogel.example'),
	array('Marco Rossi', ''), array('Nadia Haddad', 'https://nadia.example'), array('Olu Adebayo', ''),
	array('Priya Raman', 'https://priyaraman.example'), array('Quentin', ''), array('Rosa Díaz', ''),
	array('Sam', ''), array('Tomás Ruiz', 'https://tomasruiz.example'), array('Uma', ''),
	array('Viktor Horváth', ''), array('Wen Li', 'https://wenli.example'), array('Xavier', ''),
	array('Yusuf Demir', ''), array('Zoë Martin', 'https://zoemartin.example'), array('cinephile42', ''),
	array('filmbuff', 'https://filmbuff.example'), array('Anonymous', ''), array('a reader', ''),
);

const WPARCHIVE_HER_BODY = array(
	'10/10',
	'From the mind of Spike Jonze. Her is one of the finest examples of dramatic filmmaking that truly captures you. Even though it is set in the future, you are completely captivated by the way it places you in the present. It’s one of those rare examples that you can call a film 10/10 and have it be deserving of that ranking.',
	'In Her, we examine the world of Theodore Twomly (Joaquin Phoenix), who is a gift card writer searching for his own personal emotional connection to someone. After failing to do so with humans, a new form of technology allows him the chance to do so with his operating software. We explore the makings of this relationship and by doing so, become swiftly swept up in the world Spike Jonze creates.',
	'What makes Her so fantastic is that this is a world created by Spike Jonze, it feels like one that is just waiting to happen. Everything that you see from the grand visuals of architecture to the subtle digital details, feels wholeheartedly real. It becomes so believable, that you can’t help but know that this is the future our world will look like in thirty years time. And this is what makes up just one part of the spectacular writing and direction.',
	'From the introduction of the operating software, you hurdle over the awkwardness of interacting with something artificial on a personal level. Just like Joaquin Phoenix’s character does, you also progress together on the same wavelength to the acceptance of a human and artificial intelligence relationship. It’s this connection that not only extends between Joaquin Phoenix and his new software that makes all the difference, but the one made with the audience which sets this film out from the rest, making it an incredibly emotional and captivating experience to take away.',
	'You feel Joaquin Phoenix’s character every step of the way and in some ways, you are almost an extension of their relationship. This isn’t done in jus some terrible third wheeling sense of the way, but rather you begin to connect with the emotional plights Phoenix experiences and these feelings are then quickly transferred to you.',
	'It’s stupendously rare for any film to do this at the consistency that Her does. Most will have you feeling those same emotional connections at certain points of the film, most often only towards the end. But Her grabs you in from the start of this connection and holds you to it for the entire time until the credits roll. In doing so, you feel wistfully wrenched away again, as the illusion of what just transpired falters beneath and you return to reality.',
	'For this reason, I haven’t wanted to re-watch Her since I last saw it. In many ways, it’s a film that made me feel the first love but mutually had to break it up with me. And this isn’t from some silly fight, but from an understandable decision that I knew was always going to happen no matter what I did. It feels like I’m talking about a relationship in this sense and therefore Her is so special. By making you feel emotions in so many ways (just like a relationship), it connects to who you are as a person. It brings you in to tell you that is indeed loved. Just like you will have the love for this film as much as I did.',
);

const WPARCHIVE_HER_READER_COMMENT = array(
	'Oh, I’m so glad you reminded me of this film. I watched it at the Rome film festival five years ago, the first year after moving to Italy, when he still took me out like that, and I haven’t watched it again. You see, we met online and in more ways than one I was her on his screen. My life now is what would happen in a sequel.',
	'Anyway, I just wished to say that I agree with the high mark and all the rest.',
	'If you wish, have a look at my flash film reviews which I posted yesterday:',
	'https://manjameximovie3.wordpress.com/2018/03/28/flash-mexi-movie-reviews/',
);

const WPARCHIVE_HER_REPLIES = array(
	'Wow! That sounds very similar to the plot of the film and adds to the realism of why we believe it’s a very close future outlook for the world as we know it haha',
	'It’s interesting how your life is the sequel haha thanks for the comment and the read! We’ll give your blog a look over as well 🙂',
);

/** Review posts whose body shows one rating; expected is stored in _wparchive_expected_rating. */
function wparchive_rating_posts(): array {
	$p = function (string $text): string {
		return "<p>$text</p>";
	};
	$stars = '<span class="glsr-star glsr-star-full" aria-hidden="true"></span>';
	return array(
		array('Arrival', $p('A patient, humane piece of science fiction.') . "\n" . $p('<strong>Rating: 4/5</strong>'),
			array('value' => 4, 'scale' => 5, 'found_in' => 'text')),
		array('Mad Max: Fury Road', $p('Two hours of breathless motion.') . "\n" . $p('Verdict: 8.5/10'),
			array('value' => 8.5, 'scale' => 10, 'found_in' => 'text')),
		array('Paddington 2', $p('Kindness as an action movie. I&#8217;d give it 4.5 out of 5.'),
			array('value' => 4.5, 'scale' => 5, 'found_in' => 'text')),
		array('The Martian', $p('Science the heck out of it.') . "\n" . $p('3/5 stars'),
			array('value' => 3, 'scale' => 5, 'found_in' => 'text')),
		array('Inside Out', $p('Joy and Sadness, finally on speaking terms.') . "\n" . $p('★★★★☆'),
			array('value' => 4, 'scale' => 5, 'found_in' => 'stars')),
		array('Blade Runner 2049', $p('Long, cold and gorgeous.') . "\n" . $p('Score: 7.5/10'),
			array('value' => 7.5, 'scale' => 10, 'found_in' => 'text')),
		array('Moonlight', $p('Three chapters, one life.') . "\n" . $p('Score: 85%'),
			array('value' => 85, 'scale' => 100, 'found_in' => 'percent')),
		array('Lady Bird', $p('Sacramento never looked so tender.') . "\n"
			. '<div class="yasr-overall-rating"><div class="yasr-rater-stars" id="yasr-overall-rating-rater-6a1f0c2e" data-rating="4.5" data-rater-starsize="32" data-rater-postid="0" data-rater-readonly="true" data-readonly-attribute="true" data-cpt="posts"></div></div>',
			array('value' => 4.5, 'scale' => 5, 'found_in' => 'yasr')),
		array('Dunkirk', $p('Time bends three ways on one beach.') . "\n"
			. '<div id="review" class="review-wrapper wp-review-1 wp-review-star-type wp-review-default-template"><div class="review-heading"><h5 class="review-title">Dunkirk</h5></div>'
			. '<ul class="review-list"><li><span>Story</span><div class="review-star"><div class="review-result-wrapper"><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><div class="review-result" style="width:60%;"><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i></div></div></div></li>'
			. '<li><span>Sound</span><div class="review-star"><div class="review-result-wrapper"><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><div class="review-result" style="width:100%;"><i class="mts-icon-star"></i></div></div></div></li></ul>'
			. '<div class="review-total-wrapper"><div class="review-total-box"><div class="review-total-star"><div class="review-result-wrapper"><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><div class="review-result" style="width:80%;"><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i><i class="mts-icon-star"></i></div></div></div></div></div></div>',
			array('value' => 4, 'scale' => 5, 'found_in' => 'wp-review')),
		array('Get Out', $p('A horror film that is really a comedy of manners, or the other way round.') . "\n"
			. '<div class="glsr glsr-default"><div class="glsr-reviews"><div class="glsr-review"><div class="glsr-review-rating"><div class="glsr-star-rating glsr-stars" data-rating="4" data-reviews="1">'
			. str_repeat($stars, 4) . '<span class="glsr-star glsr-star-empty" aria-hidden="true"></span><span class="screen-reader-text">Rated 4 out of 5 stars</span></div></div>'
			. '<div class="glsr-review-title"><h3 class="glsr-tag-value">Sharp and funny</h3></div><div class="glsr-review-content"><p class="glsr-tag-value">Still thinking about the teacup.</p></div></div></div></div>',
			array('value' => 4, 'scale' => 5, 'found_in' => 'site-reviews')),
		array('Sony WH-1000XM3 headphones', $p('Not a film, but we watch films with them.') . "\n"
			. '<div id="wppr-review-1" class="wppr-template wppr-template-default wppr-review-container"><h2 class="wppr-review-name">Sony WH-1000XM3</h2><div class="wppr-review-head"><div class="review-wu-grade"><div class="wppr-c100 wppr-p82 wppr-good"><span>8.2</span><div class="wppr-slice"><div class="wppr-bar" style="transform: rotate(295.2deg);"></div><div class="wppr-fill"></div></div></div></div>'
			. '<div class="review-wu-right"><ul class="wppr-review-options-list"><li><div class="rev-opt">Sound</div><div class="wppr-review-option-rating">9</div></li><li><div class="rev-opt">Comfort</div><div class="wppr-review-option-rating">7</div></li></ul></div></div></div>',
			array('value' => 8.2, 'scale' => 10, 'found_in' => 'wp-product-review')),
	);
}

/** Reviews whose rating lives only in JSON-LD printed in wp_head (mu-plugin reads _wparchive_jsonld). */
function wparchive_jsonld_posts(): array {
	return array(
		array('Roma', array('@context' => 'https://schema.org', '@type' => 'Review',
			'itemReviewed' => array('@type' => 'Movie', 'name' => 'Roma'),
			'author' => array('@type' => 'Person', 'name' => 'Maria Kowalski'),
			'reviewRating' => array('@type' => 'Rating', 'ratingValue' => 9, 'bestRating' => 10, 'worstRating' => 1)),
			array('value' => 9, 'scale' => 10, 'found_in' => 'json-ld')),
		array('Parasite', array('@context' => 'https://schema.org', '@graph' => array(
			array('@type' => 'WebPage', '@id' => '#webpage', 'name' => 'Parasite'),
			array('@type' => 'Organization', '@id' => '#organization', 'name' => 'wparchive test blog'),
			array('@type' => 'Review', '@id' => '#review', 'itemReviewed' => array('@type' => 'Movie', 'name' => 'Parasite'),
				'reviewRating' => array('@type' => 'Rating', 'ratingValue' => '4', 'bestRating' => '5')))),
			array('value' => 4, 'scale' => 5, 'found_in' => 'json-ld')),
		array('Portrait of a Lady on Fire', array('@context' => 'https://schema.org', '@type' => 'Review',
			'itemReviewed' => array('@type' => 'Movie', 'name' => 'Portrait of a Lady on Fire'),
			'reviewRating' => array('@type' => 'Rating', 'ratingValue' => '3.5')),
			array('value' => 3.5, 'scale' => 5, 'found_in' => 'json-ld')),
	);
}

/** Posts with numbers that look like ratings but are not. */
const WPARCHIVE_DECOYS = array(
	array('Late-night diners worth the trip', 'The diner on Fifth is open 24/7 and the pie is the reason to go. Bring cash.'),
	array('Festival diary, day three', 'On 10/12/2019 we queued for two hours for a film nobody had heard of. Worth it.'),
	array('Why test screenings mislead', 'About 2/3 of the audience walked out of the first cut, and the studio panicked.'),
	array('Lemon cake for movie night', "Whisk three eggs with 1/2 cup of sugar until pale.\n\nFold in the flour and bake for forty minutes."),
	array('Reading notes: a screenwriting manual', 'Chapter 3/4 of the book is where the advice finally turns practical.'),
);

const WPARCHIVE_PAGES = array(
	// title, parent title, comments
	array('About', '', 6), array('Contact', '', 0), array('Review policy', '', 0),
	array('How we rate films', 'Review policy', 3), array('Ethics and screeners', 'Review policy', 0),
	array('Films A–Z', '', 0), array('Films from 2018', 'Films A–Z', 0), array('Films from 2019', 'Films A–Z', 0),
	array('Newsletter', '', 0), array('Colophon', '', 2),
);

// Terms whose slugs are not valid HTML classes: post_class() prints `tag-ID` / `category-ID` for
// them (or a mangled slug), so a reader of classes gets numbers. name => slug ('' = WordPress's own).
const WPARCHIVE_WIDE_TAGS = array('東京' => '');
const WPARCHIVE_WIDE_CATEGORIES = array('émotions' => '%c3%a9motions');

// The public custom post type the mu-plugin registers (REST base, sitemap name, comments).
const WPARCHIVE_CPT = 'wpa_screening';

/** `<!--nextpage-->` posts (split by core/nextpage blocks): title, pages (HTML), expected rating (on the last page). */
function wparchive_paged_posts(): array {
	return array(
		array('Three nights of The Decalogue', array(
			'<p>Kieślowski made ten films for television, and we watched them over three nights.</p>',
			"<h2>Night two</h2>\n<p>The fifth and sixth films are the ones people remember &#8212; and argue about.</p>",
			"<p>By the last night nobody wanted it to end.</p>\n<p><strong>Rating: 9/10</strong></p>",
		), array('value' => 9, 'scale' => 10, 'found_in' => 'text')),
		array('A long read on silent comedy', array(
			"<!-- wp:paragraph -->\n<p>Keaton never smiled on screen; Lloyd never stopped.</p>\n<!-- /wp:paragraph -->",
			"<!-- wp:paragraph -->\n<p>Chaplin is the one everyone knows, and the one who aged least well.</p>\n<!-- /wp:paragraph -->",
		), 'none'),
	);
}

/** Posts of the custom type: title, body, comments. */
const WPARCHIVE_SCREENINGS = array(
	array('Screening: Stalker at the Cineteca', '<p>A restored print, three hours with the interval.</p>', 4),
	array('Screening: Tampopo, with ramen', '<p>The cinema&#8217;s bar served noodles after the film.</p>', 2),
);
